/**
 * GGUF facts (ggml/docs/gguf.md, ggml.h): metadata value types and the block layout of each ggml
 * tensor type, as (elements per block, bytes per block). A tensor of type T with shape
 * [ne0, ne1, …] takes ne0/block × bytes × ne1 × … bytes, and ne0 must be a multiple of the block.
 */

export const GGUF_VALUE_TYPES = {
  0: { name: "uint8", size: 1 },
  1: { name: "int8", size: 1 },
  2: { name: "uint16", size: 2 },
  3: { name: "int16", size: 2 },
  4: { name: "uint32", size: 4 },
  5: { name: "int32", size: 4 },
  6: { name: "float32", size: 4 },
  7: { name: "bool", size: 1 },
  8: { name: "string", size: 0 },
  9: { name: "array", size: 0 },
  10: { name: "uint64", size: 8 },
  11: { name: "int64", size: 8 },
  12: { name: "float64", size: 8 },
} as const satisfies Record<number, { name: string; size: number }>;

export type GgufValueTypeId = keyof typeof GGUF_VALUE_TYPES;

export function isValueType(n: number): n is GgufValueTypeId {
  return Object.hasOwn(GGUF_VALUE_TYPES, n);
}

const QK_K = 256;

/** ggml type id → [name, elements per block, bytes per block]. */
export const GGML_TYPES: ReadonlyMap<number, readonly [string, number, number]> = new Map([
  [0, ["F32", 1, 4]],
  [1, ["F16", 1, 2]],
  [2, ["Q4_0", 32, 18]],
  [3, ["Q4_1", 32, 20]],
  [6, ["Q5_0", 32, 22]],
  [7, ["Q5_1", 32, 24]],
  [8, ["Q8_0", 32, 34]],
  [9, ["Q8_1", 32, 36]],
  [10, ["Q2_K", QK_K, 84]],
  [11, ["Q3_K", QK_K, 110]],
  [12, ["Q4_K", QK_K, 144]],
  [13, ["Q5_K", QK_K, 176]],
  [14, ["Q6_K", QK_K, 210]],
  [15, ["Q8_K", QK_K, 292]],
  [16, ["IQ2_XXS", QK_K, 66]],
  [17, ["IQ2_XS", QK_K, 74]],
  [18, ["IQ3_XXS", QK_K, 98]],
  [19, ["IQ1_S", QK_K, 50]],
  [20, ["IQ4_NL", 32, 18]],
  [21, ["IQ3_S", QK_K, 110]],
  [22, ["IQ2_S", QK_K, 82]],
  [23, ["IQ4_XS", QK_K, 136]],
  [24, ["I8", 1, 1]],
  [25, ["I16", 1, 2]],
  [26, ["I32", 1, 4]],
  [27, ["I64", 1, 8]],
  [28, ["F64", 1, 8]],
  [29, ["IQ1_M", QK_K, 56]],
  [30, ["BF16", 1, 2]],
  [34, ["TQ1_0", QK_K, 54]],
  [35, ["TQ2_0", QK_K, 66]],
  [39, ["MXFP4", 32, 17]],
]);

/** `general.file_type` (llama_ftype) names, for the summary. */
export const GGUF_FILE_TYPES: ReadonlyMap<number, string> = new Map([
  [0, "ALL_F32"],
  [1, "MOSTLY_F16"],
  [2, "MOSTLY_Q4_0"],
  [3, "MOSTLY_Q4_1"],
  [7, "MOSTLY_Q8_0"],
  [8, "MOSTLY_Q5_0"],
  [9, "MOSTLY_Q5_1"],
  [10, "MOSTLY_Q2_K"],
  [11, "MOSTLY_Q3_K_S"],
  [12, "MOSTLY_Q3_K_M"],
  [13, "MOSTLY_Q3_K_L"],
  [14, "MOSTLY_Q4_K_S"],
  [15, "MOSTLY_Q4_K_M"],
  [16, "MOSTLY_Q5_K_S"],
  [17, "MOSTLY_Q5_K_M"],
  [18, "MOSTLY_Q6_K"],
  [19, "MOSTLY_IQ2_XXS"],
  [20, "MOSTLY_IQ2_XS"],
  [21, "MOSTLY_Q2_K_S"],
  [22, "MOSTLY_IQ3_XS"],
  [23, "MOSTLY_IQ3_XXS"],
  [24, "MOSTLY_IQ1_S"],
  [25, "MOSTLY_IQ4_NL"],
  [26, "MOSTLY_IQ3_S"],
  [27, "MOSTLY_IQ3_M"],
  [28, "MOSTLY_IQ2_S"],
  [29, "MOSTLY_IQ2_M"],
  [30, "MOSTLY_IQ4_XS"],
  [31, "MOSTLY_IQ1_M"],
  [32, "MOSTLY_BF16"],
  [36, "MOSTLY_TQ1_0"],
  [37, "MOSTLY_TQ2_0"],
  [38, "MOSTLY_MXFP4_MOE"],
]);
