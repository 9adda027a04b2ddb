/** What a line editor's input line should hold after typing and editing keys: text and cursor. */

export class InputLine {
  /** The text as code points, as readline moves and deletes by code point. */
  private chars: string[] = [];
  private cursor = 0;

  /** Back to an empty line, as after Enter or a fresh prompt. */
  clear(): void {
    this.chars = [];
    this.cursor = 0;
  }

  get text(): string {
    return this.chars.join("");
  }

  get isEmpty(): boolean {
    return this.chars.length === 0;
  }

  get atStart(): boolean {
    return this.cursor === 0;
  }

  get atEnd(): boolean {
    return this.cursor === this.chars.length;
  }

  /** The text left of the cursor. */
  get beforeCursor(): string {
    return this.chars.slice(0, this.cursor).join("");
  }

  /** The text right of the cursor. */
  get afterCursor(): string {
    return this.chars.slice(this.cursor).join("");
  }

  insert(text: string): void {
    const added = [...text];
    this.chars.splice(this.cursor, 0, ...added);
    this.cursor += added.length;
  }

  left(): void {
    this.cursor = Math.max(0, this.cursor - 1);
  }

  right(): void {
    this.cursor = Math.min(this.chars.length, this.cursor + 1);
  }

  home(): void {
    this.cursor = 0;
  }

  end(): void {
    this.cursor = this.chars.length;
  }

  /** Deletes left of the cursor (Backspace). */
  deleteLeft(): void {
    if (this.cursor === 0) return;
    this.chars.splice(this.cursor - 1, 1);
    this.cursor--;
  }

  /** Deletes under the cursor (Delete, or Ctrl-D on a non-empty line). */
  deleteRight(): void {
    this.chars.splice(this.cursor, 1);
  }

  /** Takes text and cursor from what the screen shows, when keys did what no model knows (history). */
  resetTo(beforeCursor: string, afterCursor: string): void {
    const before = [...beforeCursor];
    this.chars = [...before, ...afterCursor];
    this.cursor = before.length;
  }
}
