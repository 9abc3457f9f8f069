/**
 * The client's own version. The build may define `__BERTH_GIT_COMMIT__` (esbuild `define`) to stamp the commit;
 * without it the build is reported as `dev`. This module is imported by the `--version` fast path, so it must
 * stay free of imports.
 */
declare const __BERTH_GIT_COMMIT__: string | undefined;

export const BERTH_VERSION = '0.1.0';
export const BERTH_GIT_COMMIT: string = typeof __BERTH_GIT_COMMIT__ === 'string' ? __BERTH_GIT_COMMIT__ : 'dev';

/** `Berth version 0.1.0, build dev`, the shape of `docker --version`. */
export function versionLine(): string {
  return `Berth version ${BERTH_VERSION}, build ${BERTH_GIT_COMMIT}`;
}
