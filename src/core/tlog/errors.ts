/** Why a note, checkpoint, tile or proof was refused. Edges map it onto the API's codes. */
export type TlogReason = 'MALFORMED' | 'UNKNOWN_KEY' | 'BAD_SIGNATURE' | 'WRONG_ORIGIN' | 'BAD_PROOF';

export class TlogError extends Error {
  constructor(
    readonly reason: TlogReason,
    message: string,
  ) {
    super(message);
    this.name = 'TlogError';
  }
}
