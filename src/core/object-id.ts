/**
 * The one definition of the 40-hex pattern: a git object id (a commit, or a file's git blob id)
 * as the Hub, the lockfile and the huggingface_hub cache write it, lowercase. Anything that
 * checks for one imports it from here.
 */
const HEX40_SOURCE = "[0-9a-f]{40}";

/** 40 lowercase hex digits: a commit id or a git object id. */
export const HEX40 = new RegExp(`^${HEX40_SOURCE}$`);

/** A blob of the huggingface_hub cache, unanchored: a git blob id (40 hex) or an LFS sha256 (64). */
export const BLOB_ID_SOURCE = `(?:${HEX40_SOURCE}|[0-9a-f]{64})`;

/** A blob id of the huggingface_hub cache (the name of a file under `blobs/`). */
export const BLOB_ID = new RegExp(`^${BLOB_ID_SOURCE}$`);
