/** HTML text: escaping, and the frame every page of a report shares. */

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A check id as a file name: "session/lion-tiger-rabbit" → "session__lion-tiger-rabbit". */
export function pageName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "__");
}

/** A whole page; `root` is the path from it to the report's folder ("" or "../"). */
export function page(title: string, body: string, root: string, scripts: string[] = []): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${root}assets/report.css">
${scripts.map((src) => `<script src="${root}${src}"></script>`).join("\n")}
</head>
<body>
${body}
</body>
</html>
`;
}
