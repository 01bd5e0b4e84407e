import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import * as fs from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';

/**
 * Delivery into a pickup directory: one file per message, which a mail server collects and sends
 * (the IIS SMTP service and Exchange 2000/2003 - the setup the Divalto manual describes -, Exchange
 * 2007 and later, and the many relays that copied them).
 *
 * No mail server may ever collect half a file. Each message is written in full under a temporary
 * name in the subfolder PICKUP_TEMP_FOLDER, flushed to disk, and only then renamed into the pickup
 * folder as `<unique>.eml`: a rename within one file system is atomic, so the .eml appears whole
 * or not at all. The temporary file is not in the pickup folder itself because the IIS SMTP service
 * (and Exchange 2000/2003) pick up every file there whatever its name - only Exchange 2007 and
 * later look at `*.eml` alone - while none of them looks into subfolders.
 */
export const PICKUP_TEMP_FOLDER = '.payroll-mail-tmp';

export interface PickupEnvelope {
	from: string;
	to: string[];
}

/** The pickup folder cannot be used, or a file could not be written there. The message names the folder. */
export class PickupDirectoryError extends Error {
	/** The folder as it was given. */
	readonly directory: string;
	/** The system's error code (ENOENT, EACCES, ENOSPC, ...), when there was one. */
	readonly code?: string;

	constructor(message: string, directory: string, options: { code?: string; cause?: unknown } = {}) {
		super(message, { cause: options.cause });
		this.name = 'PickupDirectoryError';
		this.directory = directory;
		this.code = options.code;
	}
}

/**
 * Checks the folder exists, is a directory and is writable (write+remove a probe file); throws
 * PickupDirectoryError naming the folder and the problem. Called before anything is written.
 *
 * The probe file is written in PICKUP_TEMP_FOLDER (created here if need be), never in the pickup
 * folder itself, where the IIS SMTP service would try to send it.
 */
export async function checkPickupDirectory(dir: string): Promise<void> {
	if (typeof dir !== 'string' || dir.trim() === '') {
		throw new PickupDirectoryError('The pickup folder is empty: enter the folder your mail server collects from', String(dir ?? ''));
	}
	const stats = await fs.stat(dir).catch((error: unknown) => {
		throw folderError(dir, error);
	});
	if (!stats.isDirectory()) {
		throw new PickupDirectoryError(`The pickup folder "${dir}" is a file, not a folder`, dir, { code: 'ENOTDIR' });
	}
	const tempFolder = await ensureTempFolder(dir);
	const probe = join(tempFolder, `probe-${randomBytes(4).toString('hex')}.tmp`);
	const handle = await fs.open(probe, 'wx').catch((error: unknown) => {
		throw folderError(dir, error);
	});
	try {
		await writeFully(handle, Buffer.from('payroll-mail write test\r\n'), dir);
		await handle.sync().catch((error: unknown) => {
			throw folderError(dir, error);
		});
	} finally {
		await handle.close().catch(() => undefined);
		await fs.rm(probe, { force: true }).catch(() => undefined);
	}
}

/**
 * Writes `message` (the complete RFC 5322 message: a Buffer, or a Readable stream from nodemailer's
 * MailComposer) as `<unique>.eml` into `dir`, preceded by the envelope as IIS/Exchange pickup reads
 * it: `X-Sender: <from>` and one `X-Receiver: <to>` line per envelope recipient (archive BCC
 * included) at the very top of the file. The addresses are written bare (`X-Sender: a@b.ch`), as
 * .NET's SmtpClient writes its pickup files for IIS.
 *
 * Written in PICKUP_TEMP_FOLDER, fsync'd, then renamed to `<unique>.eml`, so a mail server never
 * picks up half a file. On any error (disk full, permission, a failing message stream) or when
 * `signal` aborts before the rename, the temporary file is removed and the error thrown: no
 * partial file is left. File-system errors are PickupDirectoryErrors; a failing message stream's
 * own error and the abort reason are thrown as they are. Once renamed, the file is the mail
 * server's: an abort after that point changes nothing.
 *
 * Returns the final file path. Names are time-sortable and random: `20261123T211500.123Z-1a2b3c4d.eml`.
 */
export async function writeToPickupDirectory(
	dir: string,
	envelope: PickupEnvelope,
	message: Buffer | NodeJS.ReadableStream,
	signal?: AbortSignal,
): Promise<string> {
	const head = envelopeLines(envelope);
	signal?.throwIfAborted();
	const tempFolder = await ensureTempFolder(dir);
	const name = uniqueName();
	const tempPath = join(tempFolder, `${name}.tmp`);
	const handle = await fs.open(tempPath, 'wx').catch((error: unknown) => {
		throw folderError(dir, error);
	});
	let open = true;
	let placed = false;
	try {
		await writeFully(handle, head, dir);
		await copyMessage(handle, message, dir, signal);
		await handle.sync().catch((error: unknown) => {
			throw folderError(dir, error);
		});
		open = false;
		await handle.close().catch((error: unknown) => {
			throw folderError(dir, error);
		});
		signal?.throwIfAborted();
		const finalPath = await place(dir, tempPath, name);
		placed = true;
		await syncFolder(dir);
		return finalPath;
	} finally {
		if (open) await handle.close().catch(() => undefined);
		if (!placed) await fs.rm(tempPath, { force: true }).catch(() => undefined);
	}
}

/** Writes into the pickup folder what it does not yet hold: renames, never overwrites. */
async function place(dir: string, tempPath: string, name: string): Promise<string> {
	let candidate = name;
	for (let attempt = 0; attempt < 5; attempt++) {
		const finalPath = resolve(dir, `${candidate}.eml`);
		const taken = await fs.lstat(finalPath).then(
			() => true,
			() => false,
		);
		if (!taken) {
			await fs.rename(tempPath, finalPath).catch((error: unknown) => {
				throw folderError(dir, error);
			});
			return finalPath;
		}
		candidate = uniqueName();
	}
	throw new PickupDirectoryError(`The pickup folder "${dir}": no free file name was found`, dir, { code: 'EEXIST' });
}

/** After the rename, flush the folder's entry too (POSIX); Windows cannot open a folder, which is fine. */
async function syncFolder(dir: string): Promise<void> {
	const folder = await fs.open(dir, 'r').catch(() => undefined);
	if (!folder) return;
	await folder.sync().catch(() => undefined);
	await folder.close().catch(() => undefined);
}

async function ensureTempFolder(dir: string): Promise<string> {
	const tempFolder = join(dir, PICKUP_TEMP_FOLDER);
	// Not recursive: a missing pickup folder must fail here, not be created.
	await fs.mkdir(tempFolder).catch(async (error: unknown) => {
		if (codeOf(error) === 'EEXIST' && (await isDirectory(tempFolder))) return;
		throw folderError(dir, error);
	});
	return tempFolder;
}

async function isDirectory(path: string): Promise<boolean> {
	return fs.stat(path).then(
		(stats) => stats.isDirectory(),
		() => false,
	);
}

async function copyMessage(
	handle: FileHandle,
	message: Buffer | NodeJS.ReadableStream,
	dir: string,
	signal: AbortSignal | undefined,
): Promise<void> {
	if (Buffer.isBuffer(message) || message instanceof Uint8Array) {
		const bytes = Buffer.isBuffer(message) ? message : Buffer.from(message);
		for (let offset = 0; offset < bytes.length; offset += SLICE) {
			signal?.throwIfAborted();
			await writeFully(handle, bytes.subarray(offset, offset + SLICE), dir);
		}
		signal?.throwIfAborted();
		return;
	}
	const source = asReadable(message);
	// A stream that stalls must not hold an aborted write: destroying it ends the loop below.
	const onAbort = () => source.destroy(signal?.reason as Error);
	signal?.addEventListener('abort', onAbort, { once: true });
	try {
		signal?.throwIfAborted();
		for await (const chunk of source) {
			signal?.throwIfAborted();
			await writeFully(handle, typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array), dir);
		}
		signal?.throwIfAborted();
	} finally {
		signal?.removeEventListener('abort', onAbort);
	}
}

const SLICE = 1024 * 1024;

function asReadable(stream: NodeJS.ReadableStream): Readable {
	if (stream instanceof Readable) return stream;
	return new Readable({ objectMode: false }).wrap(stream);
}

async function writeFully(handle: FileHandle, bytes: Buffer, dir: string): Promise<void> {
	let offset = 0;
	while (offset < bytes.length) {
		const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset).catch((error: unknown) => {
			throw folderError(dir, error);
		});
		offset += bytesWritten;
	}
}

/** The envelope lines IIS and Exchange read: X-Sender first, then one X-Receiver per recipient. */
function envelopeLines(envelope: PickupEnvelope): Buffer {
	const { from, to } = envelope ?? ({} as PickupEnvelope);
	checkAddress(from, 'sender');
	if (!Array.isArray(to) || to.length === 0) {
		throw new TypeError('The envelope has no recipient: a pickup file needs at least one X-Receiver');
	}
	to.forEach((address) => checkAddress(address, 'recipient'));
	const lines = [`X-Sender: ${from}`, ...to.map((address) => `X-Receiver: ${address}`)];
	return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

/** A bare address on one line: a line break would let an address add envelope lines of its own. */
function checkAddress(address: unknown, role: 'sender' | 'recipient'): void {
	if (typeof address !== 'string' || address.trim() === '') {
		throw new TypeError(`The envelope ${role} is empty`);
	}
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f\u007f\s<>]/.test(address)) {
		throw new TypeError(`The envelope ${role} "${JSON.stringify(address).slice(1, -1)}" is not a bare address`);
	}
}

/** `20261123T211500.123Z-1a2b3c4d`: sorts by time, unique by its random part. */
function uniqueName(): string {
	const stamp = new Date().toISOString().replace(/[-:]/g, '');
	return `${stamp}-${randomBytes(4).toString('hex')}`;
}

function codeOf(error: unknown): string | undefined {
	const code = (error as { code?: unknown } | null)?.code;
	return typeof code === 'string' ? code : undefined;
}

/** A file-system error in words a clerk can act on, naming the folder. */
function folderError(dir: string, error: unknown): PickupDirectoryError {
	const code = codeOf(error);
	const problems: Record<string, string> = {
		ENOENT: 'does not exist',
		ENOTDIR: 'is not a folder (a part of the path is a file)',
		EACCES: 'is not writable for n8n (permission denied)',
		EPERM: 'is not writable for n8n (operation not permitted)',
		EROFS: 'is on a read-only file system',
		ENOSPC: 'is on a full disk (no space left)',
		EDQUOT: 'is on a disk whose quota is used up',
		EIO: 'cannot be written (input/output error)',
		ENAMETOOLONG: 'has a path that is too long',
		ELOOP: 'has a path with too many symbolic links',
		EXDEV: 'and its temporary subfolder are on different file systems',
	};
	const problem =
		(code && problems[code]) ??
		`cannot be used (${code ?? 'error'}: ${error instanceof Error ? error.message : String(error)})`;
	return new PickupDirectoryError(`The pickup folder "${dir}" ${problem}`, dir, { code, cause: error });
}
