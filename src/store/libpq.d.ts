/** The part of the `libpq` addon (synchronous libpq bindings) the PostgreSQL engine uses. */
declare module 'libpq' {
  class PQ {
    connectSync(conninfo?: string): void;
    finish(): void;
    transactionStatus(): number;
    errorMessage(): string;
    exec(text: string): void;
    execParams(text: string, params: Array<string | null>): void;
    prepare(name: string, text: string, nParams: number): void;
    execPrepared(name: string, params: Array<string | null>): void;
    resultStatus(): string;
    resultErrorMessage(): string;
    resultErrorFields(): Record<string, string | undefined>;
    ntuples(): number;
    nfields(): number;
    fname(i: number): string;
    ftype(i: number): number;
    getvalue(row: number, col: number): string;
    getisnull(row: number, col: number): boolean;
    cmdTuples(): string;
    clear(): void;
    socket(): number;
    readonly connected: boolean;
  }
  export = PQ;
}
