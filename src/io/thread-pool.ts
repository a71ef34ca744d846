/**
 * ThreadPool, a small worker_threads pool (the generic part under app/scan-threads.ts and
 * io/hash-pool.ts): workers started on demand (or all at once with `start()`) up to
 * `size`, results as plain (structured-clone) data. Each worker runs its tasks one after another;
 * `prefetch` (default 1) is how many are sent to it ahead, so a worker never waits for the caller's
 * thread between two tasks. A worker that dies rejects the task it was running with a
 * `WorkerCrash` (the caller decides what a lost task means; for scans it is `unscannable`); the
 * tasks sent ahead to it had not started and go back to the queue, and the worker is replaced for
 * them. `close()` terminates every worker so the process can exit.
 *
 * Worker files are resolved next to the calling module, with the caller's extension: `.js` from
 * the compiled build, `.ts` under tsx, and started by `startWorker` (also used by
 * io/download-sink-threaded.ts): without the process's flags, through a bootstrap under tsx.
 *
 * A worker that dies before it is ready (cannot load its file) would die the same way for every
 * task: its failure is given to every queued task instead of restarting workers one task at a time.
 */
import { availableParallelism } from "node:os";
import { parentPort, Worker, workerData } from "node:worker_threads";

/**
 * A task lost with its worker. `started` says whether a worker had begun it: a task that never
 * started (its worker could not start, or the pool closed) can safely be run some other way; one
 * that was running when its worker died may be what killed it.
 */
export class WorkerCrash extends Error {
  readonly started: boolean;
  constructor(message: string, started = false) {
    super(message);
    this.started = started;
  }
}

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
  /** Sent to this worker, oldest first; the worker runs them in that order. */
  inflight: Pending<T, R>[];
  dead: boolean;
  ready: boolean;
  /** Settles `start()`'s promise for this worker. */
  onReady: ((ready: boolean) => void) | undefined;
}

export interface ThreadPoolOptions {
  url: URL;
  size: number;
  /** Passed to every worker as `workerData` (structured clone). */
  data?: unknown;
  /** Tasks sent to a worker ahead of the one it is running (default 1: none ahead). */
  prefetch?: number;
}

export class ThreadPool<T, R> {
  readonly size: number;
  readonly #url: URL;
  readonly #data: unknown;
  readonly #prefetch: number;
  readonly #slots: Slot<T, R>[] = [];
  readonly #queue: Pending<T, R>[] = [];
  #nextId = 0;
  #closed = false;
  /** Why workers cannot start, once one has failed to. */
  #broken: string | undefined;

  constructor(options: ThreadPoolOptions) {
    this.size = Math.max(1, options.size);
    this.#url = options.url;
    this.#data = options.data;
    this.#prefetch = Math.max(1, options.prefetch ?? 1);
  }

  /** Workers that have loaded their code and answer tasks. */
  get readyWorkers(): number {
    return this.#slots.filter((s) => s.ready && !s.dead).length;
  }

  /**
   * Starts every worker now instead of on the first tasks. Each promise settles when its worker
   * is ready (true) or has died before it was (false); it never rejects.
   */
  start(): Promise<boolean>[] {
    const started: Promise<boolean>[] = [];
    while (!this.#closed && this.#broken === undefined && this.#slots.length < this.size) {
      const slot = this.#spawn();
      started.push(
        new Promise<boolean>((resolve) => {
          slot.onReady = resolve;
        }),
      );
    }
    return started;
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
        slot.onReady?.(false);
        for (const pending of slot.inflight.splice(0))
          pending.reject(new WorkerCrash("the worker pool was closed"));
        return slot.worker.terminate();
      }),
    );
  }

  /**
   * Where the next task goes: a ready worker with room, else an idle one, else a new one, else any
   * worker with room (tasks sent to a worker still loading wait in its port).
   */
  #freeSlot(): Slot<T, R> | undefined {
    const live = this.#slots.filter((s) => !s.dead);
    const room = (s: Slot<T, R>) => s.inflight.length < this.#prefetch;
    return (
      live.find((s) => s.ready && room(s)) ??
      live.find((s) => s.inflight.length === 0) ??
      (this.#slots.length < this.size ? this.#spawn() : live.find(room))
    );
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#broken === undefined) {
      const slot = this.#freeSlot();
      if (slot === undefined) return;
      const pending = this.#queue.shift()!;
      slot.inflight.push(pending);
      slot.worker.postMessage({ id: pending.id, task: pending.task });
    }
  }

  #spawn(): Slot<T, R> {
    const worker = startWorker(this.#url, this.#data);
    const slot: Slot<T, R> = {
      worker,
      inflight: [],
      dead: false,
      ready: false,
      onReady: undefined,
    };
    this.#slots.push(slot);
    worker.on("message", (reply: Reply<R>) => {
      if ("ready" in reply) {
        slot.ready = true;
        slot.onReady?.(true);
        return;
      }
      const pending = slot.inflight[0];
      if (pending === undefined || pending.id !== reply.id) return;
      slot.inflight.shift();
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new Error(reply.error));
      this.#pump();
    });
    const lose = (reason: string) => {
      if (slot.dead) return;
      slot.dead = true;
      slot.onReady?.(false);
      const index = this.#slots.indexOf(slot);
      if (index >= 0) this.#slots.splice(index, 1);
      // The worker was running the oldest task; the others had not started.
      const [running, ...waiting] = slot.inflight.splice(0);
      running?.reject(new WorkerCrash(reason, slot.ready));
      if (!slot.ready) {
        this.#broken = `the worker thread could not start: ${reason}`;
        for (const lost of [...waiting, ...this.#queue.splice(0)])
          lost.reject(new WorkerCrash(this.#broken));
      } else {
        this.#queue.unshift(...waiting);
      }
      if (!this.#closed) this.#pump();
    };
    worker.on("error", (error) => lose(`the worker thread crashed: ${error.message}`));
    worker.on("exit", (code) => lose(`the worker thread exited (code ${code})`));
    return slot;
  }
}

/**
 * Start a worker on `url` (from workerFileUrl) with none of this process's flags: a worker
 * inherits them, and some keep it from starting (`node --input-type=module -e …` makes a `.js`
 * entry fail). A `.ts` entry (under tsx) starts from a bootstrap that registers tsx's loader
 * first, since Node 20 does not apply `--import tsx` to a worker's own entry file.
 */
export function startWorker(url: URL, workerData: unknown): Worker {
  if (!url.pathname.endsWith(".ts")) return new Worker(url, { workerData, execArgv: [] });
  const api = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(api)}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData, execArgv: [] });
}

/**
 * Inside a worker: answer each task with `handle`. A rejected handler is reported as an error
 * reply; an exception that escapes (or an exit) is seen by the pool as a crash.
 */

export function serveTasks<T, R>(handle: (task: T, data: unknown) => Promise<R>): void {
  const port = parentPort;
  if (port === null) throw new Error("serveTasks() runs only inside a worker thread");
  port.postMessage({ ready: true } satisfies Reply<R>);
  // One task at a time, in the order sent: the pool relies on it to know which task a crash hit.
  let previous: Promise<void> = Promise.resolve();
  port.on("message", (message: { id: number; task: T }) => {
    previous = previous.then(() =>
      handle(message.task, workerData).then(
        (result) => port.postMessage({ id: message.id, ok: true, result } satisfies Reply<R>),
        (error: unknown) =>
          port.postMessage({
            id: message.id,
            ok: false,
            error: error instanceof Error ? error.message : String(error),
          } satisfies Reply<R>),
      ),
    );
  });
}
