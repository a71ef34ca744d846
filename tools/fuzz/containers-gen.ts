/**
 * Containers around generated pickles, built to the layouts the real loaders read: torch zip
 * checkpoints (with central-directory/local-header disagreements, data descriptors, prepended
 * bytes, duplicate names), npy object arrays and joblib files whose NumpyArrayWrapper is followed
 * by a nested pickle with its own memo.
 */
import { cat, crc32, le, type Part, type Rng, utf8 } from "./bytes.js";
import { generatePickle, type Planted } from "./pickle-gen.js";

export interface ZipMember {
  /** Name in the local header. */
  name: string;
  /** Name in the central directory (defaults to `name`). */
  centralName?: string;
  data: Uint8Array;
  /** Set bit 3 and write sizes/CRC in a data descriptor after the data. */
  descriptor?: boolean;
}

/** A stored (uncompressed) zip. `prepend` bytes come first; central offsets are not adjusted. */
export function buildZip(members: ZipMember[], prepend: Uint8Array = new Uint8Array()): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = utf8(m.name);
    const cname = utf8(m.centralName ?? m.name);
    const crc = crc32(m.data);
    const size = m.data.length;
    const flags = m.descriptor ? 0x08 : 0;
    const local = cat(
      "PK\x03\x04",
      le(20, 2),
      le(flags, 2),
      le(0, 2),
      le(0, 4),
      le(m.descriptor ? 0 : crc, 4),
      le(m.descriptor ? 0 : size, 4),
      le(m.descriptor ? 0 : size, 4),
      le(name.length, 2),
      le(0, 2),
      name,
      m.data,
      m.descriptor ? cat("PK\x07\x08", le(crc, 4), le(size, 4), le(size, 4)) : new Uint8Array(),
    );
    centrals.push(
      cat(
        "PK\x01\x02",
        le(20, 2),
        le(20, 2),
        le(flags, 2),
        le(0, 2),
        le(0, 4),
        le(crc, 4),
        le(size, 4),
        le(size, 4),
        le(cname.length, 2),
        le(0, 2),
        le(0, 2),
        le(0, 2),
        le(0, 2),
        le(0, 4),
        le(offset, 4),
        cname,
      ),
    );
    locals.push(local);
    offset += local.length;
  }
  const cd = cat(...centrals);
  const eocd = cat(
    "PK\x05\x06",
    le(0, 2),
    le(0, 2),
    le(members.length, 2),
    le(members.length, 2),
    le(cd.length, 4),
    le(offset, 4),
    le(0, 2),
  );
  return cat(prepend, ...locals, cd, eocd);
}

export interface ContainerCase {
  bytes: Uint8Array;
  kind: string;
  planted: Planted[];
}

/** A torch.save-style zip around one generated data.pkl, with one structural twist. */
export function generateTorchZip(rng: Rng): ContainerCase {
  const evil = generatePickle(rng);
  const benign = Uint8Array.from([0x80, 0x02, 0x7d, 0x2e]); // {} at protocol 2
  const twist = rng.pick([
    "plain",
    "central-name",
    "local-name",
    "descriptor",
    "prepend",
    "duplicate",
    "npz",
  ] as const);
  const base = "archive";
  const pkl = `${base}/data.pkl`;
  const rest: ZipMember[] = [
    { name: `${base}/byteorder`, data: utf8("little") },
    { name: `${base}/version`, data: utf8("3\n") },
  ];
  let members: ZipMember[];
  let prepend: Uint8Array = new Uint8Array();
  switch (twist) {
    case "central-name":
      members = [
        { name: `${base}/data.pkx`, centralName: pkl, data: evil.bytes },
        { name: `${base}/x.pkl`, data: benign },
      ];
      break;
    case "local-name":
      members = [{ name: pkl, centralName: `${base}/data.bin`, data: evil.bytes }];
      break;
    case "descriptor":
      members = [{ name: pkl, data: evil.bytes, descriptor: true }];
      break;
    case "prepend":
      prepend = rng.chance(0.5) ? generatePickle(rng).bytes : utf8("x".repeat(1 + rng.int(40)));
      members = [{ name: pkl, data: evil.bytes }];
      break;
    case "duplicate":
      members = rng.chance(0.5)
        ? [
            { name: pkl, data: benign },
            { name: pkl, data: evil.bytes },
          ]
        : [
            { name: pkl, data: evil.bytes },
            { name: pkl, data: benign },
          ];
      break;
    case "npz":
      return {
        bytes: buildZip([{ name: "arr_0.npy", data: npyObject(evil.bytes) }]),
        kind: "zip/npz",
        planted: evil.planted,
      };
    default:
      members = [{ name: pkl, data: evil.bytes }];
  }
  return {
    bytes: buildZip([...members, ...rest], prepend),
    kind: `zip/${twist}`,
    planted: evil.planted,
  };
}

/** An npy 1.0 object array: header, then the pickle np.load(allow_pickle=True) reads. */
export function npyObject(pickle: Uint8Array): Uint8Array {
  let header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }";
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64);
  header += "\n";
  return cat("\x93NUMPY", 1, 0, le(header.length, 2), header, pickle);
}

export function generateNpy(rng: Rng): ContainerCase {
  const p = generatePickle(rng);
  return { bytes: npyObject(p.bytes), kind: "npy/object", planted: p.planted };
}

const MEMO_STRINGS = ["os", "system", "collections", "OrderedDict", "posix", "builtins", "eval"];

const sbu = (s: string): Part[] => [0x8c, s.length, s];

/**
 * joblib: an outer stream memoizes strings, a NumpyArrayWrapper (object dtype) makes joblib read
 * a nested pickle (its own memo, also memoizing strings) right after the BUILD, then the outer
 * stream imports through STACK_GLOBAL from memo gets. A reader that shares one memo across the
 * two streams resolves a different global than joblib does.
 */
export function generateJoblib(rng: Rng): ContainerCase {
  const planted: Planted[] = [];
  const outerStrings = Array.from({ length: 2 + rng.int(2) }, () => rng.pick(MEMO_STRINGS));
  const outer: Part[] = [0x80, 4];
  for (const s of outerStrings) outer.push(...sbu(s), 0x94, "0");
  outer.push(
    "cjoblib.numpy_pickle\nNumpyArrayWrapper\n",
    ")",
    0x81,
    "}",
    "(",
    ...sbu("subclass"),
    "cnumpy\nndarray\n",
    ...sbu("shape"),
    0x4b,
    1,
    0x85,
    ...sbu("order"),
    ...sbu("C"),
    ...sbu("dtype"),
    "cnumpy\ndtype\n",
    ...sbu("O8"),
    0x89,
    0x88,
    0x87,
    "R",
    ...sbu("allow_mmap"),
    0x89,
    "u",
    "b",
  );
  planted.push(
    { module: "joblib.numpy_pickle", name: "NumpyArrayWrapper" },
    { module: "numpy", name: "ndarray" },
    { module: "numpy", name: "dtype" },
  );
  const nestedStrings = Array.from({ length: 2 + rng.int(2) }, () => rng.pick(MEMO_STRINGS));
  const nested: Part[] = [0x80, 4];
  for (const s of nestedStrings) nested.push(...sbu(s), 0x94, "0");
  if (rng.chance(0.5)) {
    const a = rng.int(nestedStrings.length);
    const b = rng.int(nestedStrings.length);
    nested.push(0x68, a, 0x68, b, 0x93);
    planted.push({ module: nestedStrings[a] as string, name: nestedStrings[b] as string });
  } else nested.push("N");
  nested.push(".");
  const a = rng.int(outerStrings.length);
  const b = rng.int(outerStrings.length);
  const suffix: Part[] = [0x68, a, 0x68, b, 0x93, 0x86, "."];
  planted.push({ module: outerStrings[a] as string, name: outerStrings[b] as string });
  return { bytes: cat(...outer, ...nested, ...suffix), kind: "joblib/nested-memo", planted };
}
