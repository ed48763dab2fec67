package workshop;

import java.nio.charset.StandardCharsets;

/**
 * What a failure message shows of a server's answer or output: its start, escaped, and its length. A learner's
 * bug can make an echo 65,000 bytes of NULs; the message must stay a line a person can read.
 */
public final class Show {
    static final int MAX_CHARS = 200;

    private Show() {}

    /** "hello\n" (6 chars), or the first 200 characters of a longer text, "...", and its whole length. */
    public static String brief(String text) {
        if (text == null) return "null";
        return "\"" + escaped(text) + (isLong(text) ? "\"... (" : "\" (") + text.length() + " chars)";
    }

    /** The same for bytes, read as UTF-8 (what the workshop's servers send), with the length in bytes. */
    public static String brief(byte[] bytes) {
        var text = new String(bytes, StandardCharsets.UTF_8);
        return "\"" + escaped(text) + (isLong(text) ? "\"... (" : "\" (") + bytes.length + " bytes)";
    }

    /** A process's output: its last lines, each cut to 200 characters and escaped where it holds control characters. */
    public static String lastLines(String text, int count) {
        var all = text.lines().toList();
        var shown = new StringBuilder();
        if (all.size() > count) shown.append("(").append(all.size() - count).append(" lines before these)\n");
        all.subList(Math.max(0, all.size() - count), all.size()).forEach(line -> shown.append(line(line)).append('\n'));
        return shown.toString();
    }

    /** A failure's message: its first lines, each cut the same way. */
    public static String firstLines(String text, int count) {
        var all = text.lines().toList();
        var shown = new StringBuilder();
        all.subList(0, Math.min(count, all.size())).forEach(line -> shown.append(line(line)).append('\n'));
        if (all.size() > count) shown.append("(").append(all.size() - count).append(" lines more)\n");
        return shown.toString();
    }

    static String line(String line) {
        boolean plain = !isLong(line) && line.chars().noneMatch(c -> Character.isISOControl(c) && c != '\t');
        return plain ? line : escaped(line) + (isLong(line) ? "... (" + line.length() + " chars)" : "");
    }

    static boolean isLong(String text) {
        return text.codePointCount(0, text.length()) > MAX_CHARS;
    }

    /** The first 200 characters, control characters as \n, \r, \t or \xNN: no NUL or escape garbles a report. */
    static String escaped(String text) {
        var shown = new StringBuilder();
        text.codePoints().limit(MAX_CHARS).forEach(c -> shown.append(switch (c) {
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            default -> Character.isISOControl(c) ? "\\x%02x".formatted(c) : Character.toString(c);
        }));
        return shown.toString();
    }
}
