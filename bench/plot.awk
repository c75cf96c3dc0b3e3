# plot.awk - the bench's plot, drawn as SVG by hand: lockstep throughput
# (lines/s) against the number of clients (log scale), one line per
# server.  Input, one point a line, tab-separated: SERVER CLIENTS RATE.
# Used by bench/run.sh; no gnuplot needed.
#
# SPDX-License-Identifier: MIT

function x_of(c) { return L + log(c) / log(10) / 3 * PW }   # 1 .. 1000
function y_of(r) { return T + PH - r / ymax * PH }
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
# Axis labels: 0, 50k, 1.5M ...
function short(v) {
    if (v >= 1e6) return sprintf("%gM", v / 1e6)
    if (v >= 1e3) return sprintf("%gk", v / 1e3)
    return sprintf("%g", v)
}

BEGIN { FS = "\t" }

{
    if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 }
    pts[$1] = pts[$1] " " $2 ":" $3
    if ($3 > top) top = $3
}

END {
    W = 760; H = 420; L = 80; R = 210; T = 40; Bm = 60
    PW = W - L - R; PH = H - T - Bm
    # y axis up to a round number: 1, 2 or 5 times a power of ten.
    if (top <= 0) top = 1
    p = 1
    while (p * 10 <= top) p *= 10
    ymax = top <= p ? p : top <= 2 * p ? 2 * p : top <= 5 * p ? 5 * p : 10 * p
    step = ymax / 5

    split("#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b #e377c2 #7f7f7f", colour, " ")

    printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H
    printf "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H
    printf "<text x=\"%d\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">Lockstep echo throughput against clients (64-byte lines)</text>\n", L + PW / 2

    # Grid and ticks.
    for (v = 0; v <= ymax + step / 2; v += step) {
        y = y_of(v)
        printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, y, L + PW, y
        printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", L - 8, y + 4, short(v)
    }
    for (c = 1; c <= 1000; c *= 10) {
        x = x_of(c)
        printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n", x, T, x, T + PH
        printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", x, T + PH + 18, c
    }
    printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, T + PH, L + PW, T + PH
    printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, T, L, T + PH
    printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">clients (log scale)</text>\n", L + PW / 2, H - 16
    printf "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 18 %d)\">lines per second</text>\n", T + PH / 2, T + PH / 2

    # One polyline and its points per server, and its legend entry.
    for (i = 0; i < n; i++) {
        s = order[i]
        col = colour[i % 8 + 1]
        k = split(substr(pts[s], 2), pv, " ")
        line = ""
        for (j = 1; j <= k; j++) {
            split(pv[j], cr, ":")
            line = line sprintf("%s%.1f,%.1f", j > 1 ? " " : "", x_of(cr[1]), y_of(cr[2]))
        }
        if (k > 1)
            printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n", col, line
        for (j = 1; j <= k; j++) {
            split(pv[j], cr, ":")
            printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>%s, %s clients: %d lines/s</title></circle>\n", x_of(cr[1]), y_of(cr[2]), col, esc(s), cr[1], cr[2]
        }
        ly = T + 10 + i * 22
        printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>\n", L + PW + 20, ly, L + PW + 44, ly, col
        printf "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/>\n", L + PW + 32, ly, col
        printf "<text x=\"%d\" y=\"%d\">%s</text>\n", L + PW + 52, ly + 4, esc(s)
    }
    printf "</svg>\n"
}
