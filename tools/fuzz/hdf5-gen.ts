/**
 * HDF5 cases: the Keras `.h5` fixtures (legacy tf.keras layout, benign and with Lambda layers)
 * with one to three bytes changed: the kind of damage that once made h5wasm read a file
 * differently from h5py (a hidden `model_config`) or loop forever. h5py, through the oracle, says
 * which Keras classes the file really names.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Rng } from "./bytes.js";

let donors: { name: string; bytes: Uint8Array }[] | undefined;

function keras(): { name: string; bytes: Uint8Array }[] {
  if (donors !== undefined) return donors;
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (const area of ["benign", "malicious", "suspicious"]) {
    const dir = join("fixtures", "keras", area);
    for (const name of readdirSync(dir).sort())
      if (name.endsWith(".h5"))
        out.push({ name: `${area}/${name}`, bytes: new Uint8Array(readFileSync(join(dir, name))) });
  }
  donors = out;
  return out;
}

export function generateHdf5(rng: Rng): { bytes: Uint8Array; kind: string; planted: [] } {
  const donor = rng.pick(keras());
  const bytes = Uint8Array.from(donor.bytes);
  const edits = 1 + rng.int(3);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(bytes.length);
    bytes[at] = rng.chance(0.5) ? (bytes[at] as number) ^ (1 << rng.int(8)) : rng.int(256);
  }
  return { bytes, kind: `hdf5/${donor.name.split("/")[0]}+mut`, planted: [] };
}
