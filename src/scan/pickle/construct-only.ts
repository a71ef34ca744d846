/**
 * Construct-only classes: harmless when the loader builds them the way pickle protocol 2+ does
 * for a plain object (`NEWOBJ` with no arguments, i.e. `cls.__new__(cls)`, then BUILD with a state
 * dict that only fills `__dict__`), but whose constructor does work with its arguments (reads a
 * config file, sets up devices or a process group). An import of one of these is excused only
 * when EVERY use of it in the stream is an argument-less NEWOBJ; called any other way (REDUCE,
 * NEWOBJ with arguments, kept as a value) it is reported like any class off the allowlist.
 * None of them defines `__setstate__` or `__reduce__` of its own.
 */

const CONSTRUCT_ONLY: ReadonlySet<string> = new Set([
  // Dataclass; __post_init__ reads the deepspeed/accelerator config files and sets up devices.
  "transformers.training_args\u0000TrainingArguments",
  // Dataclass; __post_init__ may read a JSON config file named in its arguments.
  "transformers.trainer_pt_utils\u0000AcceleratorConfig",
  // __init__ initialises torch.distributed (may open network connections).
  "accelerate.state\u0000PartialState",
]);

export function isConstructOnly(module: string, name: string): boolean {
  return CONSTRUCT_ONLY.has(`${module}\u0000${name}`);
}
