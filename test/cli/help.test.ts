/**
 * The help a user reads stays what it was: `modelvet --help` and every command's `--help`, word
 * for word, against test/cli/help-output.txt (captured from the built CLI, 80 columns, no TTY).
 * Built in-process from cli/program.ts for every command, plus one run of the built bin, so a
 * change to how commands are declared cannot change what they print unnoticed. A deliberate change
 * to the help updates the file in the same commit.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { buildProgram, CommanderError } from "../../src/cli/program.js";
import { runCli } from "../helpers/run-cli.js";

const GOLDEN = readFileSync(new URL("./help-output.txt", import.meta.url), "utf8");

/** The golden file's sections: `=== modelvet [command ]--help` headers, then that output. */
function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = text.split(/^=== modelvet (.*)--help\n/m);
  for (let i = 1; i < parts.length; i += 2) out.set(parts[i]!.trim(), parts[i + 1]!);
  return out;
}

const expected = sections(GOLDEN);

/** What `modelvet [command] --help` writes, from a freshly built program, at 80 columns. */
async function helpOf(command: string): Promise<{ out: string; err: string; exitCode: number }> {
  let out = "";
  let err = "";
  const program = buildProgram(() => {
    throw new Error("no action may run for --help");
  });
  for (const cmd of [program, ...program.commands]) {
    cmd.configureOutput({
      writeOut: (s) => {
        out += s;
      },
      writeErr: (s) => {
        err += s;
      },
      getOutHelpWidth: () => 80,
      getErrHelpWidth: () => 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });
  }
  const argv = ["node", "modelvet", ...(command ? [command] : []), "--help"];
  try {
    await program.parseAsync(argv);
  } catch (error) {
    assert.ok(error instanceof CommanderError, String(error));
    return { out, err, exitCode: error.exitCode };
  }
  assert.fail(`${argv.join(" ")} did not end with help`);
}

test("the golden file covers the program and every command it declares", () => {
  const program = buildProgram(() => {});
  const declared = ["", ...program.commands.map((c) => c.name())].sort();
  assert.deepEqual([...expected.keys()].sort(), declared);
  assert.equal(declared.length, 12);
});

for (const [command, text] of expected) {
  test(`modelvet ${command ? `${command} ` : ""}--help prints what it printed before`, async () => {
    const { out, err, exitCode } = await helpOf(command);
    assert.equal(exitCode, 0);
    assert.equal(err, "");
    assert.equal(out, text);
  });
}

test("the built CLI prints the same top-level help (exit 0, stdout only)", async () => {
  const result = await runCli(["--help"], { env: { COLUMNS: "80" } });
  assert.equal(result.code, 0);
  assert.equal(result.stderr, "");
  assert.equal(result.stdout, expected.get(""));
});
