/**
 * The error an HDF5 read throws when one of its budgets runs out. It lives in core/ because it
 * crosses the layers: scan/keras throws and catches it, and io/hdf5-runner rebuilds it from its
 * worker's reply (a deadline or a byte budget) for the scan that asked.
 */

/**
 * A budget of an HDF5 read ran out: HDF5 read more bytes than it may, or (from a bounded runner,
 * see KerasPolicy.readHdf5) it did not finish in time. The scan reports it as BUDGET_EXCEEDED.
 */
export class Hdf5BudgetExceeded extends Error {
  /** The limit that ran out (bytes, or milliseconds for a deadline). */
  readonly limit: number;
  constructor(message: string, limit: number) {
    super(message);
    this.limit = limit;
  }
}
