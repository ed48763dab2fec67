package workshop;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;

/**
 * Checks of the bounds a client cannot lift (WORKSHOP.md: "every resource a client or a script can make the server
 * hold has a bound in time and size"), shared by the steps that have them. Each starts a server of its own, with the
 * bound shortened by its system property, and stops it.
 */
final class ResourceBounds {
    static final int WRITE_TIMEOUT_MILLIS = 500;
    static final long FILE_BYTES = 50L << 20;  // far more than the sockets' buffers hold

    private ResourceBounds() {}

    /**
     * Step 05 on: a client that asks for a 50 MiB file and never reads is cut off at the write deadline (the server
     * says so on stderr, the client sees a reset and a short body), and a client that reads gets the whole file.
     */
    static void writeDeadline(StepServer server, Path dir) throws IOException {
        var file = dir.resolve("fifty.bin");
        try (var big = new RandomAccessFile(file.toFile(), "rw")) {
            big.setLength(FILE_BYTES);  // zeros, and sparse where the file system allows
        }
        var launch = server.launch("Server.java").args("0", "-d", dir.toString())
                .jvm("-Dworkshop.writeTimeoutMillis=" + WRITE_TIMEOUT_MILLIS);
        try (var step = launch.start(); var stalled = Http.Connection.open(step.port())) {
            stalled.send("GET /fifty.bin HTTP/1.1\r\nHost: x\r\n\r\n");  // and not a byte read, for now
            long start = System.nanoTime();
            // The server's log names the connection it gave up on: "Connection from /127.0.0.1:PORT failed: ...".
            step.awaitStderr("127.0.0.1:" + stalled.socket().getLocalPort() + " failed", Duration.ofSeconds(6));
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertTrue(millis >= WRITE_TIMEOUT_MILLIS - 100, "cut off after " + millis + " ms, before the deadline");
            long buffered = countUntilEnd(stalled.socket());  // what the OS had taken in before the reset
            assertTrue(buffered < FILE_BYTES, "the stalled client got the whole file after all: " + buffered + " B");
            // A client that reads is not cut off, however long the file.
            try (var reader = Http.Connection.open(step.port())) {
                reader.send("GET /fifty.bin HTTP/1.1\r\nHost: x\r\n\r\n");
                var head = Http.parse(Http.readHead(reader.in()).getBytes(StandardCharsets.ISO_8859_1));
                assertEquals(200, head.status(), head::toString);
                assertEquals(String.valueOf(FILE_BYTES), head.header("Content-Length"));
                long received = 0;  // counted, not kept, and read as fast as it comes: this client keeps up
                var buffer = new byte[1 << 20];
                for (int n; received < FILE_BYTES && (n = reader.in().read(buffer, 0,
                        (int) Math.min(buffer.length, FILE_BYTES - received))) != -1; )
                    received += n;
                assertEquals(FILE_BYTES, received, "bytes of the file, to a client that reads");
                var next = reader.send("HEAD /fifty.bin HTTP/1.1\r\nHost: x\r\n\r\n").read(true);
                assertEquals(200, next.status(), "the connection serves on: " + next);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    static final int MIB = 1 << 20;

    /** The bytes of a POST to the form whose body is exactly this long: firstname=aaa... */
    static byte[] formOf(int length) {
        var body = "firstname=" + "a".repeat(length - "firstname=".length());
        return Http.formPost("/greet", body);
    }

    /**
     * Step 06 on: a body's memory follows the bytes received, not the length announced. 200 connections announce a
     * 1 MiB body and send one byte; a server with a 48 MiB heap holds them all, answers a normal request meanwhile,
     * and throws no OutOfMemoryError (one that allocated the announced length would need 200 MiB).
     */
    static void memoryFollowsBytes(Step.Launch launch) throws Exception {
        var head = new String(formOf(MIB), StandardCharsets.ISO_8859_1);
        var firstByte = head.substring(0, head.indexOf("\r\n\r\n") + 5).getBytes(StandardCharsets.ISO_8859_1);
        var stalled = new ArrayList<Socket>();
        try (var step = launch.jvm("-Xmx48m").start()) {
            int port = step.port();
            try {
                for (int i = 0; i < 200; i++) {
                    var socket = Http.connect(port);
                    stalled.add(socket);
                    socket.getOutputStream().write(firstByte);
                }
                var page = Http.get(port, "/");
                assertEquals(200, page.status(), () -> page + "\n" + step.output());
                Thread.sleep(500);  // time for the server to take in the last of them
                int ended = 0;
                for (var socket : stalled) {
                    socket.setSoTimeout(1);
                    try {
                        socket.getInputStream().read();  // an answer's first byte, or the end: either way, not held
                        ended++;
                    } catch (SocketTimeoutException e) {
                        // held, waiting for the rest of its body
                    } catch (SocketException e) {
                        ended++;  // reset
                    }
                }
                assertFalse(step.stderr().contains("OutOfMemoryError"), () -> "OutOfMemoryError on its stderr: the"
                        + " memory followed the lengths announced\n" + step.output());
                assertEquals(0, ended, "connections (of 200) answered or closed while their bodies were on their way");
            } finally {
                for (var socket : stalled) socket.close();
            }
        }
    }

    /**
     * Step 06 on: the bodies being read share a budget (2 MiB here). Two clients that send all but the last byte of
     * a 1 MiB body hold it; a third 1 MiB body gets 503; when the two time out (408), a body is taken again.
     */
    static void bodyBudget(Step.Launch launch) throws Exception {
        var full = formOf(MIB);
        var allButOne = java.util.Arrays.copyOf(full, full.length - 1);
        launch = launch.jvm("-Dworkshop.bodiesInMemoryBytes=" + 2 * MIB, "-Dworkshop.bodyTimeoutMillis=2000");
        try (var step = launch.start(); var first = Http.Connection.open(step.port());
             var second = Http.Connection.open(step.port())) {
            first.send(allButOne);
            second.send(allButOne);
            // The server takes the two bodies in as they come (a few ms): a third sent before would take budget too.
            sleep(500);
            Http.Response third;
            long deadline = System.nanoTime() + Duration.ofMillis(1000).toNanos();
            do {
                third = Http.exchange(step.port(), full);
            } while (third.status() != 503 && System.nanoTime() < deadline && sleep(100));
            var answer = third;
            assertEquals(503, answer.status(), () -> "a third 1 MiB body, with 2 MiB of 2 MiB held: " + answer + "\n"
                    + step.output());
            HttpContract.assertErrorPage(answer);
            for (var stalled : java.util.List.of(first, second)) {
                var timedOut = stalled.read();
                assertEquals(408, timedOut.status(), () -> "a body stalled 1 byte short: " + timedOut + "\n"
                        + step.output());
            }
            var after = Http.exchange(step.port(), full);
            assertTrue(after.status() == 200 || after.status() == 303, () -> "once they are gone: " + after + "\n"
                    + step.output());
        }
    }

    static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Step 06 on: what a form can make the server do is capped. More than 100 fields get 413; a value of 1 MiB of
     * quotes (6 bytes each once escaped) comes back as a page of a few KB, not of megabytes.
     */
    static void formCaps(int port) throws IOException {
        var fields = new StringBuilder("f0=x");
        for (int i = 1; i < 101; i++) fields.append("&f").append(i).append("=x");
        var tooMany = Http.exchange(port, Http.formPost("/greet", fields.toString()));
        assertEquals(413, tooMany.status(), tooMany::toString);
        HttpContract.assertErrorPage(tooMany);
        var hundred = Http.exchange(port, Http.formPost("/greet", fields.substring(0, fields.lastIndexOf("&"))));
        assertTrue(hundred.status() == 200 || hundred.status() == 303, () -> "100 fields: " + hundred);
        var quotes = "firstname=" + "\"".repeat(MIB - "firstname=".length());
        var page = Http.exchange(port, Http.formPost("/greet", quotes));
        if (page.status() == 303) page = Http.get(port, page.header("Location"));  // exercise 2: the page it leads to
        var shown = page;
        assertEquals(200, shown.status(), shown::toString);
        assertTrue(shown.body().length < 10_000,
                () -> "1 MiB of \" gave a page of " + shown.body().length + " bytes: " + shown);
    }

    /** The bytes that still arrive on a socket until its end or a reset: what the OS had buffered. */
    static long countUntilEnd(Socket socket) throws IOException {
        socket.setSoTimeout(5_000);
        long count = 0;
        var buffer = new byte[1 << 16];
        try {
            for (int n; (n = socket.getInputStream().read(buffer)) != -1; ) count += n;
        } catch (SocketTimeoutException e) {
            fail("the connection neither ended nor was reset, after " + count + " bytes");
        } catch (SocketException e) {
            // the reset: the server abandoned the response
        }
        return count;
    }
}
