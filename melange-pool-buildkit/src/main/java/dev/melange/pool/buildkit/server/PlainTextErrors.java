package dev.melange.pool.buildkit.server;

import java.util.Locale;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * The server's error handler: the errors Jetty answers itself (a malformed request, a header or URL
 * over the limit, too many requests at once) as one line of plain text in our words, like every
 * other error of the API; never an HTML page, a stack trace or the request's text unescaped.
 */
final class PlainTextErrors implements Request.Handler {
  private final int maxHeaderSize;

  PlainTextErrors(int maxHeaderSize) {
    this.maxHeaderSize = maxHeaderSize;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    int status = response.getStatus();
    String reason =
        request.getAttribute(ErrorHandler.ERROR_MESSAGE) instanceof String message ? message : null;
    if (request.getAttribute(ErrorHandler.ERROR_EXCEPTION) instanceof HttpException http) {
      status = http.getCode();
      if (reason == null) {
        reason = http.getReason();
      }
    }
    if (HttpStatus.hasNoBody(status)) {
      response.setStatus(status);
      callback.succeeded();
      return true;
    }
    ApiExchange.sendError(
        response, status, line(status, reason), callback, request.getMethod().equals("HEAD"));
    return true;
  }

  @Override
  public InvocationType getInvocationType() {
    return InvocationType.NON_BLOCKING;
  }

  private String line(int status, @Nullable String reason) {
    String limit = ": the request line and headers may take at most " + maxHeaderSize + " bytes";
    return switch (status) {
      case 400 -> "bad request" + detail(reason);
      case 404 -> "404 page not found";
      case 405 -> "method not allowed";
      case 408 -> "request timeout";
      case 413 -> "request body too large";
      case 414 -> "request URL too long" + limit;
      case 431 -> "request header fields too large" + limit;
      case 500 -> "internal error";
      case 503 -> "server busy: too many requests at once, try again later";
      default -> String.valueOf(HttpStatus.getMessage(status)).toLowerCase(Locale.ROOT);
    };
  }

  /** Jetty's reason for a 400 ("Illegal character CNTL=0x0", "Bad chunking"), when it says more. */
  private static String detail(@Nullable String reason) {
    if (reason == null
        || reason.isBlank()
        || reason.equalsIgnoreCase(HttpStatus.getMessage(400))
        || reason.contains("Exception")) {
      return "";
    }
    return ": " + UntrustedText.escape(reason);
  }
}
