/**
 * Docker's exit code for a process that could not be started (a container's or an exec's): 127 when the
 * command is not found, 126 when it cannot be executed, else `otherwise` (128 for a container, 126 for an exec).
 */
export function startFailureCode(message: string, otherwise: number): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|is a directory/i.test(message)) return 126;
  return otherwise;
}
