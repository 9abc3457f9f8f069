export { SqliteMetadataStore } from "./sqlite-metadata-store.js";
