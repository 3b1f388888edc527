/**
 * The root of every error tenantnet throws on purpose. Catch this to tell tenantnet's own,
 * explained failures from programming errors.
 */
export class TenantnetError extends Error {
  /** @param message one line a person can act on */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A value given to tenantnet (an API argument or a topology field) is not valid. Thrown before
 * anything runs, so nothing has changed.
 */
export class InvalidInputError extends TenantnetError {
  /**
   * @param message what was wrong and where it came from
   * @param where the argument or file position the value came from, when known
   */
  constructor(
    message: string,
    readonly where?: string,
  ) {
    super(message);
  }
}
