import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";

import { ApiClient } from "../../api/client";
import { BotFiles } from "./file-api";
import { UploadList, useUploads } from "./upload-queue";

/**
 * The part of XMLHttpRequest the console's uploads use, answered by the
 * test: it stands in for the server as the fake fetch does elsewhere.
 */
class FakeUpload {
  static sent: FakeUpload[] = [];
  readonly upload: { onprogress?: (event: { loaded: number; total: number }) => void } = {};
  readonly headers: Record<string, string> = {};
  method = "";
  url = "";
  status = 0;
  statusText = "";
  responseText = "";
  onload?: () => void;
  onerror?: () => void;
  onabort?: () => void;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send() {
    FakeUpload.sent.push(this);
  }
  abort() {
    this.onabort?.();
  }
  answer(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

function Uploads(props: { files: BotFiles; onUploaded: () => void; picked: File[] }) {
  const uploads = useUploads(props.files, "/data", props.onUploaded);
  return (
    <>
      <button type="button" onClick={() => void uploads.start(props.picked)}>
        Upload
      </button>
      <UploadList uploads={uploads.uploads} onClear={uploads.clearFinished} />
    </>
  );
}

function renderUploads(picked: File[]) {
  FakeUpload.sent = [];
  vi.stubGlobal("XMLHttpRequest", FakeUpload);
  const onUploaded = vi.fn();
  render(<Uploads files={new BotFiles(new ApiClient("t"), "a")} onUploaded={onUploaded} picked={picked} />);
  fireEvent.click(screen.getByRole("button", { name: "Upload" }));
  return onUploaded;
}

const file = (name: string, size: number) => new File([new Uint8Array(size)], name);

describe("uploads", () => {
  it("stream each file as the raw body, one after another, with progress", async () => {
    const onUploaded = renderUploads([file("a.bin", 1000), file("b.bin", 10)]);
    await waitFor(() => expect(FakeUpload.sent).toHaveLength(1));
    const first = FakeUpload.sent[0]!;
    expect(first.method).toBe("PUT");
    expect(first.url).toBe("/bots/a/container/fs/upload?path=%2Fdata%2Fa.bin");
    expect(first.headers).toMatchObject({ authorization: "Bearer t", "content-type": "application/octet-stream" });
    first.upload.onprogress!({ loaded: 400, total: 1000 });
    await waitFor(() => expect(screen.getByLabelText("Upload of a.bin").getAttribute("value")).toBe("400"));
    first.answer(200, { path: "/data/a.bin" });
    await waitFor(() => expect(FakeUpload.sent).toHaveLength(2));
    expect(onUploaded).toHaveBeenCalledOnce();
    expect(screen.getByText("a.bin").closest("li")!.getAttribute("data-state")).toBe("done");
  });

  it("shows the API's refusal of one upload and goes on with the next", async () => {
    renderUploads([file("big.bin", 5000), file("small.bin", 5)]);
    await waitFor(() => expect(FakeUpload.sent).toHaveLength(1));
    FakeUpload.sent[0]!.answer(507, { error: { code: "disk_full", message: "the bot's disk quota (64 MiB) is full" } });
    expect((await screen.findByRole("alert")).textContent).toBe(
      "the bot's disk quota (64 MiB) is full (507 disk_full)",
    );
    await waitFor(() => expect(FakeUpload.sent).toHaveLength(2));
    expect(screen.getByText("big.bin").closest("li")!.getAttribute("data-state")).toBe("failed");
  });

  it("can be cancelled, and says so", async () => {
    renderUploads([file("slow.bin", 5000)]);
    await waitFor(() => expect(FakeUpload.sent).toHaveLength(1));
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect((await screen.findByRole("alert")).textContent).toBe("the upload was cancelled");
    expect(screen.getByText("slow.bin").closest("li")!.getAttribute("data-state")).toBe("failed");
  });
});
