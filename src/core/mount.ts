/**
 * One plain value describing a filesystem mount. It crosses layers unchanged: the snapshotter returns it, the
 * runtime puts it into the OCI spec or mounts it, the differ reads through it. No bare paths with hidden meaning.
 */
export interface Mount {
  type: string;
  source: string;
  /** Set only where the mount point is known (OCI spec mounts); a rootfs mount has none. */
  target?: string;
  options: string[];
}
