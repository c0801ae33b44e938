/** Errors that name the file, field or shape at fault. */
export class WhittleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WhittleError';
  }
}

/** A file whose content is not what it claims to be (truncated, corrupt, wrong format). */
export class FormatError extends WhittleError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'FormatError';
  }
}

/** A configuration value that fails validation; `field` is the dotted path. */
export class ConfigError extends WhittleError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`config field "${field}": ${message}`);
    this.name = 'ConfigError';
  }
}

/** A tensor of the wrong shape or dtype. */
export class ShapeError extends WhittleError {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}
