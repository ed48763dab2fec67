import module java.base;

/**
 * How an engine reads a request body of a known length: ours from its socket, within a deadline, after a
 * 100 Continue if the client waits for one; the JDK's from its exchange. route() decides whether to read.
 */
interface BodyReader {
    byte[] read(Request request, int length) throws IOException, HttpError;
}
