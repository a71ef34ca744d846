// Types for the parts of seek-bzip (pure-JS bzip2 decoder, no bundled types) that we use.
declare module "seek-bzip" {
  interface ByteSink {
    writeByte(byte: number): void;
  }
  const Bunzip: {
    decode(input: Buffer, output: ByteSink, multistream?: boolean): Buffer | undefined;
  };
  export default Bunzip;
}
