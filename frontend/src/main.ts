/**
 * The editor's page: signs in, then wires the toolbar (toolbar.ts), the keyboard (keys.ts), the
 * side panel's tabs (tabs.ts) and the file actions (documents.ts) to the design being edited (editor.ts).
 */
import "./style.css";
import { type Session, api } from "./api";
import { Documents } from "./documents";
import { Editor } from "./editor";
import { acceptDrops } from "./files";
import { bindKeys } from "./keys";
import { signIn } from "./signin";
import { Tabs } from "./tabs";
import { Toolbar } from "./toolbar";

const $ = (id: string) => document.getElementById(id)!;

async function main(): Promise<void> {
  let session: Session;
  try {
    session = await api.session();
  } catch (err) {
    document.body.textContent = `The site does not answer: ${(err as Error).message}`;
    return;
  }
  const user = session.user ?? (await signIn($("signin")));
  // the toolbar's and the tabs' actions run on a click, once everything below exists
  const toolbar: Toolbar = new Toolbar($("toolbar"), user, {
    newDesign: () => void files.newDesign(),
    open: () => void files.open(),
    save: () => void files.trySave(),
    versions: () => void files.versions(),
    importFile: (file) => void files.importFile(file),
    exportAs: (to) => void files.exportAs(to),
    place: (what) => editor.tools.toggleTool(what),
    connect: () => editor.tools.toggleConnect(),
    deleteSelected: () => editor.deleteSelected(),
    step: (back) => editor.step(back),
    fit: () => editor.canvas.fit(),
    tidy: () => editor.tidy(),
    find: (text) => editor.canvas.find(text),
    reveal: (id) => editor.reveal(id),
    status: (message, error) => editor.status(message, error),
    signOut: async () => {
      await api.signOut();
      location.reload();
    },
  });
  const tabs = new Tabs($("tabs"), (id) => editor.tabShown(id));
  const editor: Editor = new Editor(toolbar, tabs);
  const files = new Documents(editor);
  bindKeys(editor, files);
  acceptDrops(document.body, (file) => void files.importFile(file));
  window.addEventListener("beforeunload", (ev) => {
    if (editor.dirty) ev.preventDefault();
  });
  const id = /design=(\d+)/.exec(location.hash)?.[1];
  if (id) await files.openId(Number(id));
  else
    editor.status(
      "Start from an example (right), or add hosts, segments and networks with the toolbar; drop a YAML file here to import it.",
    );
  void files.loadExamples();
  (window as unknown as { mvlab: Editor }).mvlab = editor;
}

void main();
