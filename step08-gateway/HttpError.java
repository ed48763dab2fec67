import module java.base;

/** The client's mistake: answered with an error page of this status, and the server carries on. */
final class HttpError extends Exception {
    final int status;

    HttpError(int status, String message) {
        super(message);
        this.status = status;
    }
}
