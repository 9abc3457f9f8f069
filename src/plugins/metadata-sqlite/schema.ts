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
