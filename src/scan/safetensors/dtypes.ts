/**
 * safetensors dtype names and their element sizes in bits (facts from the safetensors `Dtype`
 * enum, including the sub-byte float formats added in 0.6: F4, F6_E2M3, F6_E3M2, F8_E8M0, and
 * the complex C64). For sub-byte types the loader requires elements × bits to be a whole number
 * of bytes.
 */
export const SAFETENSORS_DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

export function dtypeBits(name: string): number | undefined {
  return Object.hasOwn(SAFETENSORS_DTYPE_BITS, name) ? SAFETENSORS_DTYPE_BITS[name] : undefined;
}
