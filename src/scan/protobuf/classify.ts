/**
 * Protobuf has no magic number, so detect.ts only guesses "protobuf" from the first byte or from a
 * well-formed top-level field chain (probe.ts). This module decides from structure which message a
 * file holds, whatever field comes first (writers omit default-valued fields), by the field
 * numbers and wire types of its top level (and, where two schemas could overlap, one level down):
 *
 * - ONNX ModelProto: graph (7, length-delimited) present; ir_version (1), when present, a varint.
 * - SavedModel: only fields 1 (varint; absent when the schema version is 0) and 2 (MetaGraphDef);
 *   the first MetaGraphDef has meta_info_def (1) or graph_def (2), all its fields length-delimited.
 * - SentencePiece ModelProto (`tokenizer.model`, `spiece.model`): only fields 1–5, all
 *   length-delimited; pieces (1) each hold piece (1, text), score (2, fixed32), type (3, varint).
 * - TF-Keras SavedMetadata (`keras_metadata.pb`): only field 1, length-delimited; each SavedObject
 *   holds version (1, message), node_id (2, varint), node_path/identifier/metadata (3–5, text), and
 *   at least one has an identifier or metadata (SentencePiece pieces never have fields 4 or 5).
 * - TensorFlow FingerprintDef (`fingerprint.pb` beside `saved_model.pb`): hash varints 1–5,
 *   a VersionDef (6) and, since TensorFlow 2.15, a uuid string (7; checked as a short id).
 *
 * The checks are disjoint, with or without field 1: ONNX and SavedModel put a varint in field 1,
 * SentencePiece and Keras metadata a message (and need it); only ONNX has field 7; a SavedModel
 * has nothing but fields 1 and 2, a fingerprint at least four varint hashes. Anything else is "unknown", which the scanner reports as unscannable.
 */
import {
  ProtoError,
  ProtoLimit,
  type ProtoWindow,
  WIRE_FIXED32,
  WIRE_LEN,
  WIRE_VARINT,
} from "./wire.js";

export type ProtobufKind =
  | "onnx"
  | "savedmodel"
  | "keras-metadata"
  | "sentencepiece"
  | "tf-fingerprint";

export interface Classification {
  kind: ProtobufKind | "unknown";
  /** Why it is unknown (for the finding). */
  reason?: string;
}

type Shape = Map<number, Set<number>>;

/** Top-level field numbers and the wire types seen for each. Stops after `maxFields`. */
function shapeOf(win: ProtoWindow, maxFields: number): Shape {
  const shape: Shape = new Map();
  let n = 0;
  for (const f of win.fields()) {
    const set = shape.get(f.field) ?? new Set<number>();
    set.add(f.wireType);
    shape.set(f.field, set);
    if (++n >= maxFields) break;
  }
  return shape;
}

/** Every field present is in `allowed` with only the wire type given there. */
function conforms(shape: Shape, allowed: Record<number, number>): boolean {
  for (const [field, wires] of shape) {
    const wire = allowed[field];
    if (wire === undefined || wires.size !== 1 || !wires.has(wire)) return false;
  }
  return true;
}

/** Known ONNX ModelProto fields and their wire types (onnx.proto). Unknown fields are allowed. */
const ONNX_MODEL: Record<number, number> = {
  1: WIRE_VARINT,
  2: WIRE_LEN,
  3: WIRE_LEN,
  4: WIRE_LEN,
  5: WIRE_VARINT,
  6: WIRE_LEN,
  7: WIRE_LEN,
  8: WIRE_LEN,
  14: WIRE_LEN,
  20: WIRE_LEN,
  25: WIRE_LEN,
  26: WIRE_LEN,
};

function looksOnnx(shape: Shape): boolean {
  if (!shape.get(7)?.has(WIRE_LEN)) return false;
  for (const [field, wires] of shape) {
    const wire = ONNX_MODEL[field];
    if (wire !== undefined && (wires.size !== 1 || !wires.has(wire))) return false;
  }
  return true;
}

function looksSavedModel(win: ProtoWindow, shape: Shape): boolean {
  if (!conforms(shape, { 1: WIRE_VARINT, 2: WIRE_LEN }) || !shape.has(2)) return false;
  for (const f of win.fields()) {
    if (f.field !== 2 || !f.window) continue;
    const meta = shapeOf(f.window, 64);
    const metaFields: Record<number, number> = {};
    for (let i = 1; i <= 9; i++) metaFields[i] = WIRE_LEN;
    return conforms(meta, metaFields) && (meta.has(1) || meta.has(2));
  }
  return false;
}

/** Checked pieces; a real vocabulary has thousands, all alike, so a sample is enough to decide. */
const SENTENCEPIECE_SAMPLE = 256;

function looksSentencePiece(win: ProtoWindow, shape: Shape): boolean {
  if (!conforms(shape, { 1: WIRE_LEN, 2: WIRE_LEN, 3: WIRE_LEN, 4: WIRE_LEN, 5: WIRE_LEN }))
    return false;
  if (!shape.has(1)) return false;
  let checked = 0;
  for (const f of win.fields()) {
    if (f.field !== 1 || !f.window) continue;
    const piece = shapeOf(f.window, 8);
    if (!conforms(piece, { 1: WIRE_LEN, 2: WIRE_FIXED32, 3: WIRE_VARINT }) || !piece.has(1))
      return false;
    for (const g of f.window.fields()) {
      if (g.field === 1 && g.window?.strictText(1024) === undefined) return false;
    }
    if (++checked >= SENTENCEPIECE_SAMPLE) break;
  }
  return checked > 0;
}

function looksKerasMetadata(win: ProtoWindow, shape: Shape): boolean {
  if (!conforms(shape, { 1: WIRE_LEN }) || !shape.has(1)) return false;
  let keras = false;
  for (const f of win.fields()) {
    if (!f.window) return false;
    const node = shapeOf(f.window, 16);
    if (!conforms(node, { 1: WIRE_LEN, 2: WIRE_VARINT, 3: WIRE_LEN, 4: WIRE_LEN, 5: WIRE_LEN }))
      return false;
    if (node.has(4) || node.has(5)) keras = true;
  }
  return keras;
}

/** FingerprintDef.uuid (field 7, TensorFlow >= 2.15): a short id string (digits, hex, dashes). */
const FINGERPRINT_UUID = /^[0-9A-Za-z-]{1,64}$/;

function looksFingerprint(win: ProtoWindow, shape: Shape): boolean {
  const allowed = {
    1: WIRE_VARINT,
    2: WIRE_VARINT,
    3: WIRE_VARINT,
    4: WIRE_VARINT,
    5: WIRE_VARINT,
  };
  if (!conforms(shape, { ...allowed, 6: WIRE_LEN, 7: WIRE_LEN })) return false;
  const hashes = [1, 2, 3, 4, 5].filter((n) => shape.has(n)).length;
  if (hashes < 4 || !shape.has(6)) return false;
  for (const f of win.fields()) {
    if (f.field !== 7) continue;
    const text = f.window?.strictText(64);
    if (text === undefined || !FINGERPRINT_UUID.test(text)) return false;
  }
  return true;
}

export function classifyProtobuf(win: ProtoWindow): Classification {
  let shape: Shape;
  try {
    shape = shapeOf(win, Number.MAX_SAFE_INTEGER);
  } catch (error) {
    if (error instanceof ProtoLimit) return { kind: "unknown", reason: error.message };
    if (error instanceof ProtoError)
      return { kind: "unknown", reason: `it is not valid protobuf: ${error.message}` };
    throw error;
  }
  if (shape.size === 0) return { kind: "unknown", reason: "it holds no protobuf fields" };
  try {
    if (looksOnnx(shape)) return { kind: "onnx" };
    if (looksSavedModel(win, shape)) return { kind: "savedmodel" };
    if (looksKerasMetadata(win, shape)) return { kind: "keras-metadata" };
    if (looksSentencePiece(win, shape)) return { kind: "sentencepiece" };
    if (looksFingerprint(win, shape)) return { kind: "tf-fingerprint" };
  } catch (error) {
    if (error instanceof ProtoError)
      return {
        kind: "unknown",
        reason: `a nested message is not valid protobuf: ${error.message}`,
      };
    throw error;
  }
  const fields = [...shape.keys()].sort((a, b) => a - b).slice(0, 12);
  return {
    kind: "unknown",
    reason: `its fields (${fields.join(", ")}) match no ONNX, SavedModel, Keras metadata, SentencePiece or fingerprint layout`,
  };
}
