/**
 * The scanner for everything detect.ts calls "protobuf". It decides from structure which message
 * the file holds (see classify.ts) and hands it to the ONNX, SavedModel or Keras-metadata walker
 * (the last runs each layer's JSON through the Keras config checks); SentencePiece
 * tokenizers and TensorFlow fingerprints are inert and reported clean with a summary. A protobuf
 * it cannot place is `unscannable`, never clean: a loader we do not know may still execute it.
 */
import { finding } from "../../core/finding.js";
import { makeNode } from "../../core/report.js";
import type { Scanner } from "../context.js";
import { walkOnnxModel } from "../onnx/walk.js";
import { walkKerasMetadata } from "../savedmodel/keras-metadata.js";
import { walkSavedModel } from "../savedmodel/walk.js";
import { classifyProtobuf } from "./classify.js";
import { summarizeSentencePiece } from "./sentencepiece.js";
import { ProtoError, ProtoWindow } from "./wire.js";

export const scanProtobuf: Scanner = async (source, ctx) => {
  const root = new ProtoWindow(source);
  const { kind, reason } = classifyProtobuf(root);
  const base = { path: ctx.path, size: source.size };
  switch (kind) {
    case "onnx": {
      const { findings, summary } = walkOnnxModel(root);
      return makeNode({ ...base, format: "onnx", findings, summary: { ...summary } });
    }
    case "savedmodel": {
      const { findings, summary } = walkSavedModel(root);
      return makeNode({ ...base, format: "savedmodel", findings, summary: { ...summary } });
    }
    case "keras-metadata": {
      const { findings, summary } = walkKerasMetadata(root, ctx.policy.keras, ctx.path);
      return makeNode({ ...base, format: "keras-metadata", findings, summary });
    }
    case "sentencepiece": {
      // The classifier samples the pieces; the summary walks everything, so it may still meet
      // malformed wire data further on. SentencePiece's own parser would refuse such a file.
      try {
        return makeNode({
          ...base,
          format: "sentencepiece",
          findings: [],
          summary: summarizeSentencePiece(root),
        });
      } catch (error) {
        if (!(error instanceof ProtoError)) throw error;
        return makeNode({
          ...base,
          format: "sentencepiece",
          findings: [
            finding(
              "UNSCANNABLE",
              "unscannable",
              `The SentencePiece model is malformed: ${error.message}.`,
              { offset: error.offset ?? 0 },
            ),
          ],
        });
      }
    }
    case "tf-fingerprint":
      return makeNode({
        ...base,
        format: "tf-fingerprint",
        findings: [],
        summary: { kind: "TensorFlow SavedModel fingerprint (hashes only)" },
      });
    default:
      // A message the classifier cannot place is `unknown`, however it was detected (first byte
      // 0x08/0x0a or the structural probe): raw tensor bytes can look like protobuf by chance
      // (float32 0.01 starts with 0x0a), and companions.ts re-labels an ONNX model's external data
      // and a SavedModel's variables only when they matched no format.
      return makeNode({
        ...base,
        format: "unknown",
        findings: [
          finding(
            "UNSCANNABLE",
            "unscannable",
            `The file looks like protobuf but was not scanned: ${reason ?? "unknown layout"}.`,
          ),
        ],
      });
  }
};
