import module java.base;

/** What follows the head: a page in memory, or an app's chunks. Files pass 2 GiB: a long. */
interface Body extends Closeable {
    Body EMPTY = new Bytes(new byte[0]);

    /** The length for Content-Length; -1 if unknown, and then the body ends when the connection closes. */
    long length();

    /** The bytes written, for the log. */
    default long sent() {
        return length();
    }

    void writeTo(OutputStream out) throws IOException;

    /** An app's body may hold a file or a process: the server closes it when done, whatever happened. */
    default void close() throws IOException {}

    record Bytes(byte[] bytes) implements Body {
        public long length() {
            return bytes.length;
        }

        public void writeTo(OutputStream out) throws IOException {
            out.write(bytes);
        }
    }

    /**
     * An app's body: its first chunk, already in hand, then the rest as the app yields them, each sent at once.
     * The length is the app's Content-Length, or the size of a body of one chunk, else -1. Closing it closes the
     * app's body.
     */
    record Chunks(byte[] first, Iterator<byte[]> rest, long length, Iterable<byte[]> body, AtomicLong count)
            implements Body {
        public long sent() {
            return count.get();
        }

        public void writeTo(OutputStream out) throws IOException {
            write(out, first);
            try {
                while (rest.hasNext()) write(out, rest.next());
            } catch (RuntimeException e) {  // the head is out: too late for a 500; the connection is reset instead
                e.printStackTrace();
                throw new IOException("the app failed after its response began: " + e.getMessage());
            }
            if (length >= 0 && count.get() < length)
                throw new EOFException("the app sent " + count + " of the " + length + " bytes it announced");
        }

        private void write(OutputStream out, byte[] chunk) throws IOException {
            if (length >= 0 && count.get() + chunk.length > length)
                throw new IOException("the app sent more than the " + length + " bytes it announced");
            out.write(chunk);
            out.flush();  // a chunk goes out when the app yields it, not when a buffer fills: a slow app streams
            count.addAndGet(chunk.length);
        }

        public void close() throws IOException {
            if (body instanceof Closeable closeable) closeable.close();
        }
    }
}
