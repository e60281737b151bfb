// SVG chart of latency by concurrency: one panel per workload, one line per function
// (solid p50, dashed p95), concurrency on a categorical x axis, log-free linear y axis
// in milliseconds. Hand-written SVG, no dependencies. Pure; returns the SVG text.

export interface ChartPoint {
  concurrency: number;
  p50: number;
  p95: number;
}

export interface ChartSeries {
  fn: string;
  points: ChartPoint[];
}

export interface ChartPanel {
  title: string;
  series: ChartSeries[];
}

const COLORS = ["#d9480f", "#1c7ed6", "#2b8a3e", "#862e9c", "#495057"];

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A "nice" axis maximum at or above `v`. */
function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const exp = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= v) return m * exp;
  return 10 * exp;
}

/** Renders the panels side by side; `subtitle` carries date and machine size. */
export function latencyChart(panels: ChartPanel[], subtitle: string): string {
  const pw = 300, ph = 240, left = 52, top = 64, gap = 40, bottom = 70;
  const width = left + panels.length * (pw + gap);
  const height = top + ph + bottom;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(
    `<text x="${left}" y="22" font-size="16" font-weight="bold">` +
      `Latency by concurrency (solid p50, dashed p95, ms)</text>`,
  );
  out.push(`<text x="${left}" y="42" fill="#555">${esc(subtitle)}</text>`);
  const fns = [...new Set(panels.flatMap((p) => p.series.map((s) => s.fn)))];
  panels.forEach((panel, i) => {
    const x0 = left + i * (pw + gap);
    const concs = [...new Set(panel.series.flatMap((s) => s.points.map((p) => p.concurrency)))]
      .sort((a, b) => a - b);
    const vmax = niceMax(
      Math.max(
        0,
        ...panel.series.flatMap((s) => s.points.flatMap((p) => [p.p50, p.p95]))
          .filter(Number.isFinite),
      ),
    );
    const xAt = (c: number) =>
      x0 + (concs.length <= 1 ? pw / 2 : (concs.indexOf(c) / (concs.length - 1)) * (pw - 20) + 10);
    const yAt = (v: number) => top + ph - (v / vmax) * ph;
    out.push(
      `<text x="${x0 + pw / 2}" y="${top - 8}" text-anchor="middle" font-weight="bold">` +
        `${esc(panel.title)}</text>`,
    );
    out.push(`<rect x="${x0}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
    for (let t = 0; t <= 5; t++) {
      const v = (vmax * t) / 5;
      const y = yAt(v);
      out.push(`<line x1="${x0}" y1="${y}" x2="${x0 + pw}" y2="${y}" stroke="#eee"/>`);
      out.push(
        `<text x="${x0 - 4}" y="${y + 4}" text-anchor="end" fill="#555">` +
          `${Number(v.toPrecision(3))}</text>`,
      );
    }
    for (const c of concs) {
      out.push(`<text x="${xAt(c)}" y="${top + ph + 16}" text-anchor="middle">${c}</text>`);
    }
    out.push(
      `<text x="${x0 + pw / 2}" y="${top + ph + 32}" text-anchor="middle" fill="#555">` +
        `concurrent clients</text>`,
    );
    for (const s of panel.series) {
      const color = COLORS[fns.indexOf(s.fn) % COLORS.length];
      const pts = s.points.filter((p) => Number.isFinite(p.p50))
        .sort((a, b) => a.concurrency - b.concurrency);
      for (const [key, dash] of [["p50", ""], ["p95", ` stroke-dasharray="5,4"`]] as const) {
        const d = pts.map((p) => `${xAt(p.concurrency).toFixed(1)},${yAt(p[key]).toFixed(1)}`);
        if (d.length) {
          out.push(
            `<polyline points="${d.join(" ")}" fill="none" stroke="${color}" ` +
              `stroke-width="2"${dash}/>`,
          );
        }
        for (const p of pts) {
          out.push(
            `<circle cx="${xAt(p.concurrency).toFixed(1)}" cy="${yAt(p[key]).toFixed(1)}" ` +
              `r="3" fill="${color}"/>`,
          );
        }
      }
    }
  });
  // Legend entries side by side, each as wide as its label (about 7 px a character at 12 px).
  let x = left;
  fns.forEach((fn, i) => {
    const y = height - 16;
    out.push(
      `<rect x="${x}" y="${y - 10}" width="14" height="4" fill="${COLORS[i % COLORS.length]}"/>`,
    );
    out.push(`<text x="${x + 20}" y="${y - 4}">${esc(fn)}</text>`);
    x += 20 + fn.length * 7 + 24;
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
