/** The case mix: fresh and mutated pickles, torch zips, npy object arrays, joblib files, HDF5. */
import type { Rng } from "./bytes.js";
import { generateJoblib, generateNpy, generateTorchZip } from "./containers-gen.js";
import { generateHdf5 } from "./hdf5-gen.js";
import { DANGEROUS, generatePickle, mutate, type Planted } from "./pickle-gen.js";

export interface FuzzCase {
  bytes: Uint8Array;
  kind: string;
  /** Imports placed in the stream; empty for mutated cases (a mutation may have broken them). */
  planted: Planted[];
  mutated: boolean;
}

let hdf5Share = 0;

/** The share of HDF5 cases (0 by default: each costs a scan in the bounded HDF5 worker). */
export function setHdf5Share(share: number): void {
  hdf5Share = share;
}

export function generateCase(rng: Rng, donor?: Uint8Array): FuzzCase {
  const r = rng.next();
  // Keras .h5 files with bytes changed: already mutated, read by h5py in the oracle.
  if (r < hdf5Share) return { ...generateHdf5(rng), mutated: true };
  let c: { bytes: Uint8Array; kind: string; planted: Planted[] };
  if (r < 0.7) {
    const p = generatePickle(rng);
    c = { bytes: p.bytes, kind: `pickle/p${p.protocol}`, planted: p.planted };
  } else if (r < 0.85) c = generateTorchZip(rng);
  else if (r < 0.92) c = generateNpy(rng);
  else c = generateJoblib(rng);
  if (rng.chance(c.kind.startsWith("pickle") ? 0.5 : 0.2)) {
    return {
      bytes: mutate(rng, c.bytes, donor),
      kind: `${c.kind}+mut`,
      planted: [],
      mutated: true,
    };
  }
  return { ...c, mutated: false };
}

const DANGEROUS_KEYS = new Set(DANGEROUS.map((g) => `${g.module}.${g.name}`));

/** Whether a planted import is one the shipped policy must call dangerous. */
export function plantedDangerous(planted: readonly Planted[]): Planted | undefined {
  return planted.find((g) => DANGEROUS_KEYS.has(`${g.module}.${g.name}`));
}
