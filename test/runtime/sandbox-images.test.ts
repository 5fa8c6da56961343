import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";

import { BadRequestError, ConflictError, NotFoundError } from "../../packages/server/src/errors.js";
import { buildImageTar, sandboxSuite } from "./support.js";

const run = promisify(execFile);

describe("sandbox images", () => {
  const suite = sandboxSuite();
  let scratch: string;
  const rootfs = (ref: string) => path.join(suite.home, "images", encodeURIComponent(ref), "rootfs");
  const missing = async (file: string) => assert.rejects(access(file), `${file} should not exist`);

  before(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "botbox-images-"));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("the default image is generated; other unknown refs are not found", async () => {
    const info = await suite.runtime.ensureImage("botbox/default");
    assert.match(info.id, /^sha256:[0-9a-f]{64}$/);
    const etc = path.join(suite.home, "images", encodeURIComponent("botbox/default"), "etc");
    assert.equal(
      await readFile(path.join(etc, "passwd"), "utf8").then((text) => text.split("\n")[0]),
      "root:x:0:0:root:/root:/bin/sh",
    );
    await missing(path.join(etc, "shadow"));
    await assert.rejects(suite.runtime.ensureImage("docker.io/library/alpine:3"), NotFoundError);
  });

  it("layers apply in order with their whiteouts and opaque folders", async () => {
    const tar = await buildImageTar(path.join(scratch, "layers"), [
      { "hello.txt": "v1", "gone.txt": "x", "old/a.txt": "a", "keep/k.txt": "k" },
      { "hello.txt": "v2", "gone.txt": null, "old/.wh..wh..opq": "", "old/b.txt": "b" },
    ]);
    const info = await suite.runtime.importImage("test/layers:1", tar);
    assert.match(info.id, /^sha256:/);
    const root = rootfs("test/layers:1");
    assert.equal(await readFile(path.join(root, "hello.txt"), "utf8"), "v2");
    assert.equal(await readFile(path.join(root, "keep/k.txt"), "utf8"), "k");
    assert.equal(await readFile(path.join(root, "old/b.txt"), "utf8"), "b");
    await missing(path.join(root, "gone.txt"));
    await missing(path.join(root, "old/a.txt"));
    await missing(path.join(root, "old/.wh..wh..opq"));
  });

  it("a bot runs its agent in an imported image that has no node of its own", async () => {
    const tar = await buildImageTar(path.join(scratch, "run"), [{ "hello.txt": "from the image" }]);
    await suite.runtime.importImage("test/run:1", tar);
    const spec = await suite.created({ image: "test/run:1" });
    await assert.rejects(suite.runtime.deleteImage("test/run:1"), ConflictError, "in use");
    const client = await suite.startedAgain(spec);
    assert.equal((await client.info()).botId, spec.botId);
    assert.equal((await client.readFile("/hello.txt")).content, "     1\tfrom the image\n");
    await assert.rejects(client.stat("/usr/bin/node"), NotFoundError, "the host's /usr is not there");
  });

  it("an OCI layout with a gzip layer imports too", async () => {
    const folder = path.join(scratch, "oci");
    const blobs = path.join(folder, "blobs", "sha256");
    await mkdir(path.join(folder, "src"), { recursive: true });
    await mkdir(blobs, { recursive: true });
    await writeFile(path.join(folder, "src", "oci.txt"), "oci");
    const layerTar = path.join(folder, "layer.tar");
    await run("tar", ["-cf", layerTar, "-C", path.join(folder, "src"), "."]);
    const blob = async (content: Buffer) => {
      const digest = createHash("sha256").update(content).digest("hex");
      await writeFile(path.join(blobs, digest), content);
      return `sha256:${digest}`;
    };
    const layer = await blob(gzipSync(await readFile(layerTar)));
    const config = await blob(Buffer.from(JSON.stringify({ config: { Env: ["A=1"] } })));
    const manifest = await blob(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          config: { digest: config },
          layers: [{ digest: layer, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" }],
        }),
      ),
    );
    await writeFile(
      path.join(folder, "index.json"),
      JSON.stringify({ schemaVersion: 2, manifests: [{ digest: manifest }] }),
    );
    await writeFile(path.join(folder, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    const tar = path.join(scratch, "oci.tar");
    await run("tar", ["-cf", tar, "-C", folder, "index.json", "oci-layout", "blobs"]);
    const info = await suite.runtime.importImage("test/oci:1", tar);
    assert.equal(info.id, config);
    assert.equal(await readFile(path.join(rootfs("test/oci:1"), "oci.txt"), "utf8"), "oci");
  });

  it("a hostile layer cannot write or delete outside its image", async () => {
    const target = await mkdtemp(path.join(tmpdir(), "botbox-escape-"));
    const folder = path.join(scratch, "hostile");
    try {
      await run("sh", [
        "-ec",
        `mkdir -p ${folder}/one ${folder}/two/evil
        ln -s ${target} ${folder}/one/evil
        echo pwned > ${folder}/two/evil/pwned.txt
        : > ${folder}/two/evil/.wh.victim.txt
        echo victim > ${target}/victim.txt
        tar -cf ${folder}/one.tar -C ${folder}/one .
        # No entry for the folder itself: tar follows the symlink of layer 0.
        tar -cf ${folder}/two.tar -C ${folder}/two --no-recursion ./evil/.wh.victim.txt ./evil/pwned.txt`,
      ]);
      const tar = await dockerSaveTar(path.join(folder, "image"), [
        path.join(folder, "one.tar"),
        path.join(folder, "two.tar"),
      ]);
      // Inside the confined extraction the symlink leads nowhere: the import fails.
      await assert.rejects(suite.runtime.importImage("test/hostile:1", tar), BadRequestError);
      await missing(path.join(target, "pwned.txt"));
      assert.equal(
        await readFile(path.join(target, "victim.txt"), "utf8"),
        "victim\n",
        "a whiteout cannot delete host files",
      );
    } finally {
      await rm(target, { recursive: true, force: true });
    }
  });

  it("device nodes and setuid bits do not survive an import", async () => {
    const folder = path.join(scratch, "devices");
    await run("sh", [
      "-ec",
      `mkdir -p ${folder}/one
      mknod ${folder}/one/mem c 1 1
      echo x > ${folder}/one/suid && chmod 4755 ${folder}/one/suid
      tar -cf ${folder}/one.tar -C ${folder}/one .`,
    ]);
    await suite.runtime.importImage(
      "test/devices:1",
      await dockerSaveTar(path.join(folder, "image"), [path.join(folder, "one.tar")]),
    );
    const root = rootfs("test/devices:1");
    await missing(path.join(root, "mem"));
    assert.equal((await stat(path.join(root, "suid"))).mode & 0o7777, 0o755);
  });
});

/** Wraps ready-made layer tars into a `docker save` tar. */
async function dockerSaveTar(folder: string, layers: string[]): Promise<string> {
  await mkdir(folder, { recursive: true });
  const names: string[] = [];
  for (const [index, layer] of layers.entries()) {
    await mkdir(path.join(folder, `l${index}`));
    await copyFile(layer, path.join(folder, `l${index}`, "layer.tar"));
    names.push(`l${index}/layer.tar`);
  }
  await writeFile(path.join(folder, "config.json"), "{}");
  await writeFile(path.join(folder, "manifest.json"), JSON.stringify([{ Config: "config.json", Layers: names }]));
  await run("tar", ["-cf", `${folder}.tar`, "-C", folder, "."]);
  return `${folder}.tar`;
}
