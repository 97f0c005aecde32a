import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import type { SFTPWrapper, Stats } from "ssh2";
import type { SftpDestinationConfig } from "@holdfast/shared";
import { notFound, sourceFailed, watchSource } from "./failures.js";
import { probeDestination } from "./probe.js";
import { nameSegments, splitPrefix, TEMP_SUFFIX } from "./relative-name.js";
import { call, openSftp, type SftpSession, sshFailure } from "./sftp-connection.js";
import { ensureFolder, isNoSuchFile, readFile, renameOver, statOrNull, unsupported, writeChunk } from "./sftp-files.js";
import type { Destination, ObjectEntry, ObjectInfo } from "./types.js";

/** A folder on an SFTP server, reached with ssh2 after checking the server's host key. */
export function sftpDestination(config: SftpDestinationConfig): Destination {
  const root = posix.normalize(config.path).replace(/(.)\/+$/, "$1");
  const pathOf = (segments: string[]) => posix.join(root, ...segments);

  async function withSftp<T>(action: string, fn: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const session = await openSftp(config, action);
    try {
      return await fn(session.sftp);
    } catch (err) {
      throw sshFailure(err, action);
    } finally {
      session.close();
    }
  }

  const self: Destination = {
    /** Written to a temp name in the target folder, fsync'd where offered, then renamed into place. */
    async put(stream, relativeName) {
      const source = watchSource(stream);
      let session: SftpSession;
      let segments: string[];
      try {
        segments = nameSegments(relativeName);
        session = await openSftp(config, `Writing ${relativeName}`);
      } catch (err) {
        stream.destroy();
        throw err;
      }
      const { sftp } = session;
      const dir = pathOf(segments.slice(0, -1));
      const final = posix.join(dir, segments[segments.length - 1]!);
      const temp = posix.join(dir, `.${randomBytes(6).toString("hex")}${TEMP_SUFFIX}`);
      let handle: Buffer | undefined;
      let bytes = 0;
      try {
        await ensureFolder(sftp, dir);
        handle = await call<Buffer>((cb) => sftp.open(temp, "wx", { mode: 0o640 }, cb));
        for await (const chunk of stream) {
          const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
          await writeChunk(sftp, handle, buf, bytes);
          bytes += buf.length;
        }
        await call((cb) => sftp.ext_openssh_fsync(handle!, cb)).catch((err: unknown) => {
          if (!unsupported(err)) throw err;
        });
        const open = handle;
        handle = undefined;
        await call((cb) => sftp.close(open, cb));
        await renameOver(sftp, temp, final);
      } catch (err) {
        const failure = source.failure();
        stream.destroy();
        if (handle) await call((cb) => sftp.close(handle!, cb)).catch(() => {});
        await call((cb) => sftp.unlink(temp, cb)).catch(() => {});
        throw failure ? sourceFailed(failure) : sshFailure(err, `Writing ${relativeName}`);
      } finally {
        session.close();
      }
      return { path: `sftp://${config.username}@${config.host}:${config.port}${final}`, bytes };
    },

    async stat(relativeName) {
      const path = pathOf(nameSegments(relativeName));
      return withSftp(`Reading ${relativeName}`, async (sftp): Promise<ObjectInfo | null> => {
        const st = await statOrNull(sftp, path);
        return st?.isFile() ? { bytes: st.size, modifiedAt: new Date(st.mtime * 1000) } : null;
      });
    },

    async list(prefix) {
      const { folder } = splitPrefix(prefix);
      return withSftp(`Listing ${prefix || "the folder"}`, async (sftp) => {
        const entries: ObjectEntry[] = [];
        const walk = async (names: string[]): Promise<void> => {
          let children;
          try {
            children = await call<{ filename: string; attrs: Stats }[]>((cb) => sftp.readdir(pathOf(names), cb));
          } catch (err) {
            if (isNoSuchFile(err)) return;
            throw err;
          }
          for (const child of children) {
            const name = [...names, child.filename].join("/");
            if (child.attrs.isDirectory()) await walk([...names, child.filename]);
            else if (child.attrs.isFile() && !child.filename.endsWith(TEMP_SUFFIX) && name.startsWith(prefix)) {
              entries.push({ name, bytes: child.attrs.size, modifiedAt: new Date(child.attrs.mtime * 1000) });
            }
          }
        };
        await walk(folder);
        return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      });
    },

    async delete(relativeName) {
      const path = pathOf(nameSegments(relativeName));
      await withSftp(`Deleting ${relativeName}`, async (sftp) => {
        await call((cb) => sftp.unlink(path, cb)).catch((err: unknown) => {
          if (!isNoSuchFile(err)) throw err;
        });
      });
    },

    /** The object's bytes; the SSH connection lives until the stream ends or is destroyed. */
    async get(relativeName, opts = {}) {
      const path = pathOf(nameSegments(relativeName));
      const action = `Reading ${relativeName}`;
      const session = await openSftp(config, action);
      try {
        if (!(await statOrNull(session.sftp, path))?.isFile()) throw notFound(relativeName);
        return await readFile(session, path, (err) => sshFailure(err, action), opts.start ?? 0);
      } catch (err) {
        session.close();
        throw sshFailure(err, action);
      }
    },

    test: (o) => probeDestination(self, o?.probeName),

    /** statvfs@openssh.com where the server offers it, else null. */
    async freeSpace() {
      return withSftp("Reading the free space", async (sftp) => {
        for (let dir = root; ; dir = posix.dirname(dir)) {
          try {
            const vfs = await call<Record<string, number | bigint>>((cb) => sftp.ext_openssh_statvfs(dir, cb as never));
            return Number(vfs.f_bavail) * Number(vfs.f_frsize);
          } catch (err) {
            if (unsupported(err)) return null;
            if (!isNoSuchFile(err) || dir === "/") throw err;
          }
        }
      });
    },
  };
  return self;
}
