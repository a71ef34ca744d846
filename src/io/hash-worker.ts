/** Worker thread for io/hash-pool.ts: hashes one file per task. */
import { digestFile, type FileDigestRequest, type FileDigests } from "./file-digest.js";
import { serveTasks } from "./thread-pool.js";

serveTasks<FileDigestRequest, FileDigests>((request) => digestFile(request));
