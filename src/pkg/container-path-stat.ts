/**
 * Docker's ContainerPathStat: what `HEAD`/`GET /containers/{id}/archive` say about the path, as JSON in
 * base64 in the X-Docker-Container-Path-Stat header (moby's setContainerPathStatHeader). One definition for
 * the daemon that writes it and the client that reads it.
 */
export interface ContainerPathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits. */
  mode: number;
  /** RFC 3339 with nanoseconds. */
  mtime: string;
  linkTarget: string;
}

export const PATH_STAT_HEADER = 'X-Docker-Container-Path-Stat';

export function encodePathStat(stat: ContainerPathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

/** The header as node's http client hands it over (lower-cased name, maybe repeated). */
export function decodePathStat(header: string | string[] | undefined): ContainerPathStat {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) throw new Error('unable to get resource stat from response: the header is missing');
  return JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as ContainerPathStat;
}
