/**
 * The metadata schema, written down once. Each migration moves the database from version N-1 to N
 * (`PRAGMA user_version`); they run in order inside one transaction, so a crash mid-migration leaves the old
 * version intact. Rules that matter to correctness are constraints, not conventions: a layer cannot be
 * deleted while an image lists it, a container name is unique, a snapshot belongs to at most one owner.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: images, layers, blobs, references, containers.
  `
  CREATE TABLE blobs (
    digest      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    media_type  TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE snapshots (
    id    TEXT PRIMARY KEY,
    kind  TEXT NOT NULL CHECK (kind IN ('layer', 'active'))
  ) WITHOUT ROWID;

  CREATE TABLE layers (
    chain_id         TEXT PRIMARY KEY,
    diff_id          TEXT NOT NULL REFERENCES blobs(digest),
    parent_chain_id  TEXT REFERENCES layers(chain_id),
    snapshot_id      TEXT NOT NULL UNIQUE REFERENCES snapshots(id),
    size             INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE images (
    id            TEXT PRIMARY KEY REFERENCES blobs(digest),
    config_json   TEXT NOT NULL,
    size          INTEGER NOT NULL,
    loaded_at     TEXT NOT NULL,
    repo_digests  TEXT NOT NULL DEFAULT '[]'
  ) WITHOUT ROWID;

  CREATE TABLE image_layers (
    image_id  TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    chain_id  TEXT NOT NULL REFERENCES layers(chain_id),
    PRIMARY KEY (image_id, position)
  ) WITHOUT ROWID;
  CREATE INDEX image_layers_by_chain ON image_layers(chain_id);

  CREATE TABLE tags (
    ref       TEXT PRIMARY KEY,
    image_id  TEXT NOT NULL REFERENCES images(id)
  ) WITHOUT ROWID;
  CREATE INDEX tags_by_image ON tags(image_id);

  CREATE TABLE containers (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    image_id       TEXT NOT NULL,
    top_chain_id   TEXT REFERENCES layers(chain_id),
    snapshot_id    TEXT NOT NULL UNIQUE REFERENCES snapshots(id),
    created        TEXT NOT NULL,
    record         TEXT NOT NULL,
    state          TEXT NOT NULL,
    restart_count  INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE INDEX containers_by_image ON containers(image_id);
  `,
  // volumes: named volumes and which containers use them. A volume in use cannot be deleted (the foreign key),
  // and a container's uses go with it.
  `
  CREATE TABLE volumes (
    name        TEXT PRIMARY KEY,
    driver      TEXT NOT NULL,
    options     TEXT NOT NULL DEFAULT '{}',
    labels      TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE container_volumes (
    container_id  TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    volume_name   TEXT NOT NULL REFERENCES volumes(name),
    PRIMARY KEY (container_id, volume_name)
  ) WITHOUT ROWID;
  CREATE INDEX container_volumes_by_volume ON container_volumes(volume_name);
  `,
  // Networks: user and predefined networks, container endpoints (the address is set while the container runs;
  // UNIQUE keeps an address from being handed out twice), and the sandboxes (netns + published ports) of
  // running containers. Endpoints and sandboxes go with their container.
  `
  CREATE TABLE networks (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    record  TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE network_endpoints (
    network_id    TEXT NOT NULL REFERENCES networks(id),
    container_id  TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    ip            TEXT,
    record        TEXT NOT NULL,
    PRIMARY KEY (network_id, container_id),
    UNIQUE (network_id, ip)
  ) WITHOUT ROWID;
  CREATE INDEX network_endpoints_by_container ON network_endpoints(container_id);

  CREATE TABLE network_sandboxes (
    container_id  TEXT PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,
    record        TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // Build cache: one row per built step, keyed by what Docker's cache rules compare (parent + instruction +
  // inputs). Its top layer is a GC root; the image config lives in the row (no blob until an image is tagged).
  `
  CREATE TABLE IF NOT EXISTS build_cache (
    key           TEXT PRIMARY KEY,
    parent_id     TEXT NOT NULL,
    image_id      TEXT NOT NULL,
    config_json   TEXT NOT NULL,
    chain_ids     TEXT NOT NULL,
    top_chain_id  TEXT REFERENCES layers(chain_id),
    description   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_used     TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS build_cache_by_parent ON build_cache(parent_id);
  CREATE INDEX IF NOT EXISTS build_cache_by_image ON build_cache(image_id);
  `,
  // Registry blob sources: which compressed blob in which repository holds a layer's content (Docker's
  // v2metadata), so a push can HEAD or mount instead of compressing and uploading again. Self-contained.
  `
  CREATE TABLE IF NOT EXISTS blob_sources (
    diff_id     TEXT NOT NULL,
    digest      TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    repository  TEXT NOT NULL,
    PRIMARY KEY (diff_id, repository, digest)
  ) WITHOUT ROWID;
  `,
];
