package dev.melange.pool.buildkit.server;

/**
 * A request the API answers with an error status and a plain-text message, e.g. 400 {@code addr is
 * required}. Expected, so it carries no stack trace.
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String message;

  ApiException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
    this.message = message;
  }

  /** An answer carrying the message of a pool's or a value's refusal. */
  static ApiException from(int status, RuntimeException refusal) {
    String message = refusal.getMessage();
    return new ApiException(status, message == null ? refusal.toString() : message);
  }

  static ApiException badRequest(String message) {
    return new ApiException(400, message);
  }

  static ApiException invalidBody(String detail) {
    return badRequest("invalid request body: " + detail);
  }

  int status() {
    return status;
  }

  @Override
  public String getMessage() {
    return message;
  }
}
