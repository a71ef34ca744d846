/**
 * A small worker_threads pool: one task per worker at a time, workers started on demand up to
 * `size`, results as plain (structured-clone) data. A worker that dies with a task in flight
 * rejects that task with a `WorkerCrash` (the caller decides what a lost task means; for scans it
 * is `unscannable`) and is replaced for the tasks still queued. `close()` terminates every worker
 * so the process can exit.
 *
 * Worker files are resolved next to the calling module, with the caller's extension: `.js` from
 * the compiled build, `.ts` under tsx. Node 20 does not apply `--import tsx` (inherited through
 * execArgv) to a worker's own entry file, so a `.ts` worker starts from a two-line bootstrap that
 * registers tsx's loader and then imports the file.
 *
 * A worker that dies before it is ready (cannot load its file) would die the same way for every
 * task: its failure is given to every queued task instead of restarting workers one task at a time.
 */
import { availableParallelism } from "node:os";
import { parentPort, Worker, workerData } from "node:worker_threads";

export class WorkerCrash extends Error {}

/** `./<name>.js` or `./<name>.ts` next to `moduleUrl`, whichever matches the caller's own file. */
export function workerFileUrl(moduleUrl: string, name: string): URL {
  const ext = new URL(moduleUrl).pathname.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./${name}${ext}`, moduleUrl);
}

/** Threads worth starting for `tasks` tasks: one per core, never more than tasks, at least 1. */
export function poolSizeFor(tasks: number): number {
  return Math.max(1, Math.min(availableParallelism(), tasks));
}

type Reply<R> =
  | { ready: true }
  | { id: number; ok: true; result: R }
  | { id: number; ok: false; error: string };

interface Pending<T, R> {
  id: number;
  task: T;
  resolve: (result: R) => void;
  reject: (error: Error) => void;
}

interface Slot<T, R> {
  worker: Worker;
  busy: Pending<T, R> | undefined;
  dead: boolean;
  ready: boolean;
}

export interface WorkerPoolOptions {
  url: URL;
  size: number;
  /** Passed to every worker as `workerData` (structured clone). */
  data?: unknown;
}

export class WorkerPool<T, R> {
  readonly size: number;
  readonly #url: URL;
  readonly #data: unknown;
  readonly #slots: Slot<T, R>[] = [];
  readonly #queue: Pending<T, R>[] = [];
  #nextId = 0;
  #closed = false;
  /** Why workers cannot start, once one has failed to. */
  #broken: string | undefined;

  constructor(options: WorkerPoolOptions) {
    this.size = Math.max(1, options.size);
    this.#url = options.url;
    this.#data = options.data;
  }

  run(task: T): Promise<R> {
    if (this.#closed) return Promise.reject(new WorkerCrash("the worker pool is closed"));
    if (this.#broken !== undefined) return Promise.reject(new WorkerCrash(this.#broken));
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, task, resolve, reject });
      this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const pending of this.#queue.splice(0))
      pending.reject(new WorkerCrash("the worker pool was closed"));
    const slots = this.#slots.splice(0);
    await Promise.all(
      slots.map((slot) => {
        slot.dead = true;
        return slot.worker.terminate();
      }),
    );
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => !s.dead && s.busy === undefined);
      if (slot === undefined && this.#slots.length < this.size) slot = this.#spawn();
      if (slot === undefined) return;
      const pending = this.#queue.shift()!;
      slot.busy = pending;
      slot.worker.postMessage({ id: pending.id, task: pending.task });
    }
  }

  #spawn(): Slot<T, R> {
    const worker = this.#url.pathname.endsWith(".ts")
      ? new Worker(tsxBootstrap(this.#url), { eval: true, workerData: this.#data })
      : new Worker(this.#url, { workerData: this.#data });
    const slot: Slot<T, R> = { worker, busy: undefined, dead: false, ready: false };
    this.#slots.push(slot);
    worker.on("message", (reply: Reply<R>) => {
      if ("ready" in reply) {
        slot.ready = true;
        return;
      }
      const pending = slot.busy;
      if (pending === undefined || pending.id !== reply.id) return;
      slot.busy = undefined;
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new Error(reply.error));
      this.#pump();
    });
    const lose = (reason: string) => {
      if (slot.dead) return;
      slot.dead = true;
      const index = this.#slots.indexOf(slot);
      if (index >= 0) this.#slots.splice(index, 1);
      const pending = slot.busy;
      slot.busy = undefined;
      pending?.reject(new WorkerCrash(reason));
      if (!slot.ready) {
        this.#broken = `the worker thread could not start: ${reason}`;
        for (const queued of this.#queue.splice(0)) queued.reject(new WorkerCrash(this.#broken));
      }
      if (!this.#closed) this.#pump();
    };
    worker.on("error", (error) => lose(`the worker thread crashed: ${error.message}`));
    worker.on("exit", (code) => lose(`the worker thread exited (code ${code})`));
    return slot;
  }
}

/**
 * Inside a worker: answer each task with `handle`. A rejected handler is reported as an error
 * reply; an exception that escapes (or an exit) is seen by the pool as a crash.
 */
function tsxBootstrap(url: URL): string {
  const api = import.meta.resolve("tsx/esm/api");
  return `import(${JSON.stringify(api)}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
}

export function serveTasks<T, R>(handle: (task: T, data: unknown) => Promise<R>): void {
  const port = parentPort;
  if (port === null) throw new Error("serveTasks() runs only inside a worker thread");
  port.postMessage({ ready: true } satisfies Reply<R>);
  port.on("message", (message: { id: number; task: T }) => {
    handle(message.task, workerData).then(
      (result) => port.postMessage({ id: message.id, ok: true, result } satisfies Reply<R>),
      (error: unknown) =>
        port.postMessage({
          id: message.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        } satisfies Reply<R>),
    );
  });
}
