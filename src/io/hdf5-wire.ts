/** The messages between io/hdf5-runner.ts and its worker (io/hdf5-worker.ts). */
import type { Hdf5Contents } from "../scan/keras/hdf5-read.js";

export interface Hdf5WorkerData {
  /** Int32Array[2]: [state, bytes read (or -(message length + 1) for a failed read)]. */
  control: SharedArrayBuffer;
  /** The bytes of one read (or the failed read's message). */
  data: SharedArrayBuffer;
}

/** state[0] while the worker waits for a read. */
export const READ_WAITING = 0;
/** state[0] once the caller has answered it. */
export const READ_DONE = 1;

export type Hdf5WorkerReply =
  | { type: "ready" }
  | { type: "read"; id: number; offset: number; length: number }
  | { type: "done"; id: number; contents: Hdf5Contents }
  /** `budget`: the limit, when a budget of the read ran out (Hdf5BudgetExceeded). */
  | { type: "failed"; id: number; message: string; budget: number | undefined };
