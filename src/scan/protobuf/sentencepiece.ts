/**
 * SentencePiece ModelProto (sentencepiece_model.proto): a tokenizer vocabulary and its training and
 * normalisation settings. It holds strings, scores and a precompiled character map, nothing a
 * loader executes, so once recognised structurally it is clean. Field numbers (facts):
 *   ModelProto 1 pieces, 2 trainer_spec, 3 normalizer_spec, 4 self_test_data, 5 denormalizer_spec
 *   SentencePiece 1 piece, 2 score, 3 type (1 NORMAL, 2 UNKNOWN, 3 CONTROL, 4 USER_DEFINED,
 *   5 UNUSED, 6 BYTE)
 *   TrainerSpec 3 model_type (1 UNIGRAM, 2 BPE, 3 WORD, 4 CHAR), 4 vocab_size
 *   NormalizerSpec 1 name
 */
import { type ProtoWindow, WIRE_LEN, WIRE_VARINT } from "./wire.js";

const MODEL_TYPES: Record<number, string> = { 1: "unigram", 2: "bpe", 3: "word", 4: "char" };
const PIECE_TYPES: Record<number, string> = {
  1: "normal",
  2: "unknown",
  3: "control",
  4: "user_defined",
  5: "unused",
  6: "byte",
};

export function summarizeSentencePiece(win: ProtoWindow): Record<string, unknown> {
  let pieces = 0;
  const byType: Record<string, number> = {};
  const summary: Record<string, unknown> = { kind: "sentencepiece" };
  for (const f of win.fields()) {
    if (f.field === 1 && f.window) {
      pieces++;
      let type = 1;
      for (const g of f.window.fields()) {
        if (g.field === 3 && g.wireType === WIRE_VARINT) type = Number(g.value);
      }
      const name = PIECE_TYPES[type] ?? `type ${type}`;
      byType[name] = (byType[name] ?? 0) + 1;
    } else if (f.field === 2 && f.window) {
      for (const g of f.window.fields()) {
        if (g.field === 3 && g.wireType === WIRE_VARINT)
          summary.modelType = MODEL_TYPES[Number(g.value)] ?? `type ${g.value}`;
        else if (g.field === 4 && g.wireType === WIRE_VARINT) summary.vocabSize = Number(g.value);
      }
    } else if (f.field === 3 && f.window) {
      for (const g of f.window.fields()) {
        if (g.field === 1 && g.wireType === WIRE_LEN) summary.normalizer = g.window?.text(64);
      }
    }
  }
  summary.pieces = pieces;
  summary.piecesByType = byType;
  return summary;
}
