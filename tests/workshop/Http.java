package workshop;

import java.io.*;
import java.net.*;
import java.net.http.*;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;

/** Talking HTTP to a step: raw bytes over a socket for what a real client would never send, HttpClient for the rest. */
public final class Http {
    static final int TIMEOUT_MILLIS = 10_000;  // every read in the tests gives up, so a test never hangs
    static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)  // else it asks the server to upgrade to HTTP/2
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** A response as it came off the wire: status line, header fields (names case-insensitive), body bytes. */
    public record Response(String statusLine, int status, Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            var values = headers.get(name);
            return values == null ? null : values.getFirst();
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return statusLine + " " + headers + "\n" + text();
        }
    }

    public static Socket connect(int port) throws IOException {
        var socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        return socket;
    }

    /** Sends these bytes on a new connection and reads the response until the server closes it. */
    public static Response exchange(int port, byte[] request) throws IOException {
        try (var socket = connect(port)) {
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            return read(socket.getInputStream());
        }
    }

    /** The same, for a request written as text (Latin-1, as a head is: "\r\n" spelled out by the test). */
    public static Response exchange(int port, String request) throws IOException {
        return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1));
    }

    public static Response get(int port, String target) throws IOException {
        return exchange(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n");
    }

    /** Reads one whole response up to the end of the connection, and parses it. */
    public static Response read(InputStream in) throws IOException {
        return parse(in.readAllBytes());
    }

    public static Response parse(byte[] raw) {
        var text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) throw new AssertionError("no complete response head in " + raw.length + " bytes: " + text);
        var lines = text.substring(0, end).split("\r\n", -1);
        var headers = new TreeMap<String, List<String>>(String.CASE_INSENSITIVE_ORDER);
        for (var line : Arrays.asList(lines).subList(1, lines.length)) {
            int colon = line.indexOf(':');
            if (colon < 1) throw new AssertionError("malformed header line in response: " + line);
            headers.computeIfAbsent(line.substring(0, colon), k -> new ArrayList<>()).add(line.substring(colon + 1).strip());
        }
        var parts = lines[0].split(" ", 3);
        if (parts.length < 3 || !parts[1].matches("[0-9]{3}")) throw new AssertionError("malformed status line: " + lines[0]);
        return new Response(lines[0], Integer.parseInt(parts[1]), headers, Arrays.copyOfRange(raw, end + 4, raw.length));
    }

    /** A well-formed request from a real client. */
    public static HttpResponse<byte[]> send(HttpRequest request) throws IOException {
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    public static HttpRequest.Builder request(int port, String target) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target)).timeout(Duration.ofSeconds(10));
    }
}
