import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
// The module object itself, not a namespace copy: jest.spyOn replaces what pickupDirectory calls.
import fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';

import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';

import {
	checkPickupDirectory,
	PICKUP_TEMP_FOLDER,
	PickupDirectoryError,
	writeToPickupDirectory,
} from '../../../nodes/PayrollMail/transport/pickup/pickupDirectory';
import type { PickupEnvelope } from '../../../nodes/PayrollMail/transport/pickup/pickupDirectory';

const NAME = /^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}\.eml$/;
const envelope: PickupEnvelope = { from: 'lohn@firma.example', to: ['anna@example.com', 'archiv@firma.example'] };
const envelopeHead = 'X-Sender: lohn@firma.example\r\nX-Receiver: anna@example.com\r\nX-Receiver: archiv@firma.example\r\n';

let root: string;
beforeAll(async () => {
	root = await fsp.mkdtemp(join(tmpdir(), 'pickup-'));
});
afterAll(async () => {
	await fsp.chmod(root, 0o755).catch(() => undefined);
	await fsp.rm(root, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

/** Waits, turn by turn of the event loop, until `condition` holds; fails after 10 s instead of hanging. */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`Gave up after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((resolve) => setImmediate(resolve));
	}
}

let folders = 0;
async function pickupFolder(): Promise<string> {
	const dir = join(root, `pickup-${++folders}`);
	await fsp.mkdir(dir);
	return dir;
}

/** Everything in the folder and in its temporary subfolder. */
async function contents(dir: string): Promise<{ files: string[]; temp: string[] }> {
	const files = (await fsp.readdir(dir)).sort();
	const temp = files.includes(PICKUP_TEMP_FOLDER) ? (await fsp.readdir(join(dir, PICKUP_TEMP_FOLDER))).sort() : [];
	return { files, temp };
}

const fakePdf = (size = 40_000) =>
	Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size), Buffer.from('\n%%EOF\n')]);

function payslipMail(pdf = fakePdf()): Mail.Options {
	return {
		from: 'Lohnbüro <lohn@firma.example>',
		to: 'Anna Muster <anna@example.com>',
		subject: 'Lohnabrechnung November 2026 – Anna Muster',
		text: 'Grüezi Anna\r\n\r\nIm Anhang Ihre Lohnabrechnung.\r\n',
		messageId: '<payslip-4711@firma.example>',
		date: new Date('2026-11-25T08:00:00Z'),
		attachments: [{ filename: 'Lohnabrechnung-2026-11.pdf', content: pdf, contentType: 'application/pdf' }],
	};
}

/** The same message as a Buffer and as MailComposer's stream (same compiled node: same bytes). */
async function composed(mail: Mail.Options): Promise<{ raw: Buffer; stream: () => Readable }> {
	const node = new MailComposer(mail).compile();
	const raw = await node.build();
	return { raw, stream: () => node.createReadStream() as unknown as Readable };
}

/**
 * A message stream that hands out `bytes` in small chunks, pausing now and then, like a slow
 * source; `onChunk` hears of each chunk (from 1) as it is handed out.
 */
function slowStream(bytes: Buffer, chunk = 64 * 1024, pauseEvery = 8, onChunk: (count: number) => void = () => undefined): Readable {
	let offset = 0;
	let chunks = 0;
	return new Readable({
		read() {
			if (offset >= bytes.length) return void this.push(null);
			const piece = bytes.subarray(offset, offset + chunk);
			offset += piece.length;
			onChunk(chunks + 1);
			if (++chunks % pauseEvery === 0) setTimeout(() => this.push(piece), 2);
			else setImmediate(() => this.push(piece));
		},
	});
}

function fsError(code: string, message: string): NodeJS.ErrnoException {
	return Object.assign(new Error(`${code}: ${message}`), { code });
}

describe('writeToPickupDirectory: the file', () => {
	it('starts with X-Sender and one X-Receiver per envelope recipient, then the message byte for byte (Buffer)', async () => {
		const dir = await pickupFolder();
		const pdf = fakePdf();
		const { raw } = await composed(payslipMail(pdf));
		const path = await writeToPickupDirectory(dir, envelope, raw);

		expect(dirname(path)).toBe(resolve(dir));
		expect(basename(path)).toMatch(NAME);
		const file = await fsp.readFile(path);
		expect(file.subarray(0, envelopeHead.length).toString()).toBe(envelopeHead);
		expect(file.subarray(envelopeHead.length).equals(raw)).toBe(true);
		expect(await contents(dir)).toEqual({ files: [PICKUP_TEMP_FOLDER, basename(path)].sort(), temp: [] });

		const parsed = await simpleParser(file);
		expect(parsed.headers.get('x-sender')).toBe('lohn@firma.example');
		expect(parsed.headerLines.filter((line) => line.key === 'x-receiver').map((line) => line.line)).toEqual([
			'X-Receiver: anna@example.com',
			'X-Receiver: archiv@firma.example',
		]);
		expect(parsed.headerLines[0].key).toBe('x-sender');
		expect(parsed.subject).toBe('Lohnabrechnung November 2026 – Anna Muster');
		expect(parsed.from?.value).toEqual([{ name: 'Lohnbüro', address: 'lohn@firma.example' }]);
		expect(parsed.messageId).toBe('<payslip-4711@firma.example>');
		expect(parsed.headers.has('bcc')).toBe(false);
		expect(parsed.text).toContain('Im Anhang Ihre Lohnabrechnung.');
		expect(parsed.attachments).toHaveLength(1);
		expect(parsed.attachments[0].filename).toBe('Lohnabrechnung-2026-11.pdf');
		expect(parsed.attachments[0].contentType).toBe('application/pdf');
		expect(parsed.attachments[0].content.equals(pdf)).toBe(true);
	});

	it("writes MailComposer's stream the same way, byte for byte", async () => {
		const dir = await pickupFolder();
		const { raw, stream } = await composed(payslipMail());
		const path = await writeToPickupDirectory(dir, { from: 'lohn@firma.example', to: ['anna@example.com'] }, stream());
		const file = await fsp.readFile(path);
		const head = 'X-Sender: lohn@firma.example\r\nX-Receiver: anna@example.com\r\n';
		expect(file.subarray(0, head.length).toString()).toBe(head);
		expect(file.subarray(head.length).equals(raw)).toBe(true);
	});

	it('accepts an old-style stream (not a stream.Readable) and string chunks', async () => {
		const dir = await pickupFolder();
		const { raw } = await composed(payslipMail());
		const legacy = new PassThrough();
		legacy.setEncoding('latin1');
		const written = writeToPickupDirectory(dir, envelope, legacy as unknown as NodeJS.ReadableStream);
		legacy.end(raw);
		const file = await fsp.readFile(await written);
		expect(file.subarray(envelopeHead.length).equals(raw)).toBe(true);
	});

	it('gives 200 quick writes 200 different, time-sortable names, and leaves no temporary file', async () => {
		const dir = await pickupFolder();
		const { raw } = await composed(payslipMail(fakePdf(2_000)));
		const before = new Date().toISOString().replace(/[-:]/g, '');
		const paths = await Promise.all(Array.from({ length: 200 }, () => writeToPickupDirectory(dir, envelope, raw)));
		const after = new Date().toISOString().replace(/[-:]/g, '');
		const names = paths.map((path) => basename(path));
		expect(new Set(names).size).toBe(200);
		for (const name of names) {
			expect(name).toMatch(NAME);
			expect(name.slice(0, 19) >= before.slice(0, 19) && name.slice(0, 19) <= after.slice(0, 19)).toBe(true);
		}
		const { files, temp } = await contents(dir);
		expect(files.filter((name) => name !== PICKUP_TEMP_FOLDER).sort()).toEqual([...names].sort());
		expect(temp).toEqual([]);
	});

	it('names later files after earlier ones', async () => {
		const dir = await pickupFolder();
		const first = basename(await writeToPickupDirectory(dir, envelope, Buffer.from('Subject: 1\r\n\r\n1\r\n')));
		// Names are stamped to the millisecond: the second write comes once the clock has moved on.
		await until(() => new Date().toISOString().replace(/[-:]/g, '') > first.slice(0, 20), 'the clock to pass the first stamp');
		const second = basename(await writeToPickupDirectory(dir, envelope, Buffer.from('Subject: 2\r\n\r\n2\r\n')));
		expect([second, first].sort()).toEqual([first, second]);
	});
});

describe('writeToPickupDirectory: a mail server watching the folder', () => {
	/**
	 * Stands in for the IIS / Exchange pickup service: fs.watch on the folder plus a tight polling
	 * loop, reading every .eml the moment it appears (and twice more, one read at a time). Records
	 * every name it sees and every read.
	 */
	function watcher(dir: string, expected: Map<string, Buffer> | undefined) {
		const names = new Set<string>();
		const reads: Array<{ name: string; size: number; complete: boolean }> = [];
		const reading = new Set<Promise<void>>();
		const inFlight = new Set<string>();
		const readCount = new Map<string, number>();
		const look = (name: string | null) => {
			if (!name) return;
			names.add(name);
			if (!name.endsWith('.eml') || inFlight.has(name) || (readCount.get(name) ?? 0) >= 3) return;
			inFlight.add(name);
			readCount.set(name, (readCount.get(name) ?? 0) + 1);
			const read = fsp
				.readFile(join(dir, name))
				.then((bytes) => {
					const body = expected?.get(name) ?? bytes;
					reads.push({ name, size: bytes.length, complete: bytes.equals(body) && bytes.length > 0 });
				})
				.catch(() => undefined)
				.finally(() => {
					inFlight.delete(name);
					reading.delete(read);
				});
			reading.add(read);
		};
		const fsWatcher: FSWatcher = watch(dir, (_event, name) => look(name ? String(name) : null));
		let polling = true;
		const poll = (async () => {
			while (polling) {
				for (const name of await fsp.readdir(dir).catch(() => [])) look(name);
				await new Promise((done) => setImmediate(done));
			}
		})();
		return {
			names,
			reads,
			/** Resolves once every name has been read at least once (bounded). */
			async readEach(expected: string[]) {
				await until(() => expected.every((name) => reads.some((read) => read.name === name)), `reads of ${expected.join(', ')}`);
			},
			async stop() {
				polling = false;
				await poll;
				fsWatcher.close();
				await Promise.all([...reading]);
			},
		};
	}

	it('never sees a partial .eml while eight 5 MB messages are written at once', async () => {
		const dir = await pickupFolder();
		const messages = await Promise.all(
			Array.from({ length: 8 }, async (_, n) => (await composed({ ...payslipMail(fakePdf(3_700_000)), messageId: `<big-${n}@firma.example>` })).raw),
		);
		expect(messages[0].length).toBeGreaterThan(5_000_000);
		const files = new Map<string, Buffer>();
		const watching = watcher(dir, undefined);
		const paths = await Promise.all(
			messages.map((raw, n) =>
				writeToPickupDirectory(dir, envelope, n % 2 ? slowStream(raw) : raw).then((path) => {
					files.set(basename(path), Buffer.concat([Buffer.from(envelopeHead), raw]));
					return path;
				}),
			),
		);
		await watching.readEach(paths.map((path) => basename(path)));
		await watching.stop();

		// The watcher saw every file, read each, and every read was the whole file.
		expect(new Set(watching.reads.map((read) => read.name))).toEqual(new Set(paths.map((path) => basename(path))));
		for (const read of watching.reads) {
			expect({ name: read.name, size: read.size }).toEqual({ name: read.name, size: files.get(read.name)?.length });
		}
		// Nothing but .eml files and the temporary subfolder ever appeared in the pickup folder.
		expect([...watching.names].filter((name) => name !== PICKUP_TEMP_FOLDER && !NAME.test(name))).toEqual([]);
		// Each file is the message, and parses with its 3.7 MB attachment intact.
		for (const [name, bytes] of files) {
			expect((await fsp.readFile(join(dir, name))).equals(bytes)).toBe(true);
		}
		const parsed = await simpleParser(await fsp.readFile(paths[1]));
		expect(parsed.attachments[0].content.length).toBe(3_700_000 + '%PDF-1.7\n\n%%EOF\n'.length);
		expect((await contents(dir)).temp).toEqual([]);
	});

	it('(control: the same watcher does catch a file written in place, so the test above has teeth)', async () => {
		const dir = await pickupFolder();
		const watching = watcher(dir, new Map([['naive.eml', Buffer.concat([Buffer.from(envelopeHead), randomBytes(0)])]]));
		const big = Buffer.concat([Buffer.from(envelopeHead), randomBytes(2_000_000)]);
		const handle = await fsp.open(join(dir, 'naive.eml'), 'w');
		await handle.write(big.subarray(0, 64 * 1024));
		// The watcher reads the file while it holds only its first 64 KB.
		await watching.readEach(['naive.eml']);
		await handle.write(big.subarray(64 * 1024));
		await handle.close();
		await watching.stop();
		expect(watching.reads.some((read) => read.name === 'naive.eml' && read.size < big.length)).toBe(true);
	});
});

describe('checkPickupDirectory', () => {
	it('passes for a writable folder and leaves nothing but the (empty) temporary subfolder', async () => {
		const dir = await pickupFolder();
		await expect(checkPickupDirectory(dir)).resolves.toBeUndefined();
		expect(await contents(dir)).toEqual({ files: [PICKUP_TEMP_FOLDER], temp: [] });
		await expect(checkPickupDirectory(dir)).resolves.toBeUndefined();
	});

	it('a missing folder: PickupDirectoryError naming it, and the folder is not created', async () => {
		const dir = join(root, 'does-not-exist');
		const failure = await checkPickupDirectory(dir).catch((error: Error) => error);
		expect(failure).toBeInstanceOf(PickupDirectoryError);
		expect(failure).toMatchObject({ message: `The pickup folder "${dir}" does not exist`, code: 'ENOENT', directory: dir });
		await expect(fsp.stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
	});

	it('a file instead of a folder: PickupDirectoryError, the file untouched', async () => {
		const path = join(root, 'a-file.txt');
		await fsp.writeFile(path, 'not a folder');
		await expect(checkPickupDirectory(path)).rejects.toThrow(new PickupDirectoryError(`The pickup folder "${path}" is a file, not a folder`, path));
		expect(await fsp.readFile(path, 'utf8')).toBe('not a folder');
	});

	it('a path through a file: PickupDirectoryError', async () => {
		const path = join(root, 'a-file-too.txt');
		await fsp.writeFile(path, 'x');
		const dir = join(path, 'pickup');
		await expect(checkPickupDirectory(dir)).rejects.toMatchObject({
			name: 'PickupDirectoryError',
			message: `The pickup folder "${dir}" is not a folder (a part of the path is a file)`,
			code: 'ENOTDIR',
		});
	});

	it('an empty folder name: PickupDirectoryError', async () => {
		await expect(checkPickupDirectory('  ')).rejects.toBeInstanceOf(PickupDirectoryError);
	});

	/**
	 * A read-only folder, for real. chmod 0o555 does not stop root, and the tests may run as root
	 * (they do in the dev container): then the check runs in a child process as the user "nobody"
	 * (uid 65534), which the mode does stop. As any other user (GitHub Actions' runner), in-process.
	 */
	it('a read-only folder (mode 0555): PickupDirectoryError, and nothing written', async () => {
		const dir = await pickupFolder();
		await fsp.chmod(dir, 0o555);
		await fsp.chmod(root, 0o755);
		try {
			const outcome = process.getuid?.() === 0 ? asNobody(dir) : await inProcess(dir);
			expect(outcome.check).toEqual({
				name: 'PickupDirectoryError',
				code: 'EACCES',
				message: `The pickup folder "${dir}" is not writable for n8n (permission denied)`,
			});
			expect(outcome.write).toMatchObject({ name: 'PickupDirectoryError', code: 'EACCES' });
			expect(await fsp.readdir(dir)).toEqual([]);
		} finally {
			await fsp.chmod(dir, 0o755);
		}
	});

	it('a folder the system refuses to write (EACCES, simulated): PickupDirectoryError, probe gone', async () => {
		const dir = await pickupFolder();
		await fsp.mkdir(join(dir, PICKUP_TEMP_FOLDER));
		jest.spyOn(fsp, 'open').mockRejectedValueOnce(fsError('EACCES', 'permission denied'));
		await expect(checkPickupDirectory(dir)).rejects.toMatchObject({
			name: 'PickupDirectoryError',
			message: `The pickup folder "${dir}" is not writable for n8n (permission denied)`,
		});
		expect(await contents(dir)).toEqual({ files: [PICKUP_TEMP_FOLDER], temp: [] });
	});

	it('a read-only file system (EROFS, simulated): PickupDirectoryError', async () => {
		const dir = await pickupFolder();
		jest.spyOn(fsp, 'mkdir').mockRejectedValueOnce(fsError('EROFS', 'read-only file system'));
		await expect(checkPickupDirectory(dir)).rejects.toThrow(`The pickup folder "${dir}" is on a read-only file system`);
		expect(await fsp.readdir(dir)).toEqual([]);
	});
});

type Outcome = { name?: string; code?: string; message?: string } | 'ok';
async function inProcess(dir: string): Promise<{ check: Outcome; write: Outcome }> {
	const settle = (promise: Promise<unknown>) =>
		promise.then(
			(): Outcome => 'ok',
			(error: PickupDirectoryError): Outcome => ({ name: error.name, code: error.code, message: error.message }),
		);
	return {
		check: await settle(checkPickupDirectory(dir)),
		write: await settle(writeToPickupDirectory(dir, envelope, Buffer.from('Subject: x\r\n\r\nx\r\n'))),
	};
}
/**
 * The check as user "nobody": the built module (it needs only Node's own modules) is copied into
 * a folder anyone may read, since "nobody" may not read the checkout (a clone under a private
 * temporary folder, say).
 */
function asNobody(dir: string): { check: Outcome; write: Outcome } {
	const built = resolve(__dirname, '../../../dist/nodes/PayrollMail/transport/pickup/pickupDirectory.js');
	const shared = mkdtempSync(join(tmpdir(), 'payroll-pickup-nobody-'));
	chmodSync(shared, 0o755);
	copyFileSync(built, join(shared, 'pickupDirectory.js'));
	chmodSync(join(shared, 'pickupDirectory.js'), 0o644);
	const script = `
		const { checkPickupDirectory, writeToPickupDirectory } = require(${JSON.stringify(join(shared, 'pickupDirectory.js'))});
		const settle = (p) => p.then(() => 'ok', (e) => ({ name: e.name, code: e.code, message: e.message }));
		(async () => {
			const dir = process.argv[1];
			const check = await settle(checkPickupDirectory(dir));
			const write = await settle(writeToPickupDirectory(dir, { from: 'a@b.example', to: ['c@d.example'] }, Buffer.from('Subject: x\\r\\n\\r\\nx\\r\\n')));
			process.stdout.write(JSON.stringify({ check, write }));
		})();`;
	try {
		const run = spawnSync(process.execPath, ['-e', script, dir], {
			uid: 65534,
			gid: 65534,
			cwd: shared,
			encoding: 'utf8',
			env: { PATH: process.env.PATH ?? '' },
		});
		if (run.error || run.status !== 0) {
			throw new Error(
				`Running the check as user "nobody" failed (${run.error?.message ?? `exit ${run.status}`}: ${run.stderr}). ` +
					'As root, a read-only folder can only be tested by a user chmod applies to.',
			);
		}
		return JSON.parse(run.stdout) as { check: Outcome; write: Outcome };
	} finally {
		rmSync(shared, { recursive: true, force: true });
	}
}

describe('writeToPickupDirectory: failures leave nothing behind', () => {
	it('a missing folder: PickupDirectoryError before anything is written, and no folder created', async () => {
		const dir = join(root, 'gone');
		await expect(writeToPickupDirectory(dir, envelope, Buffer.from('x'))).rejects.toMatchObject({
			name: 'PickupDirectoryError',
			message: `The pickup folder "${dir}" does not exist`,
		});
		await expect(fsp.stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
	});

	it('a file instead of a folder: PickupDirectoryError, the file untouched', async () => {
		const path = join(root, 'b-file.txt');
		await fsp.writeFile(path, 'keep');
		await expect(writeToPickupDirectory(path, envelope, Buffer.from('x'))).rejects.toBeInstanceOf(PickupDirectoryError);
		expect(await fsp.readFile(path, 'utf8')).toBe('keep');
	});

	it('a message stream that fails half-way (as on a full disk upstream): its error, no .tmp and no .eml', async () => {
		const dir = await pickupFolder();
		let sent = 0;
		const failing = new Readable({
			read() {
				if (sent >= 3) return void this.destroy(fsError('ENOSPC', 'no space left on device'));
				sent++;
				this.push(randomBytes(512 * 1024));
			},
		});
		await expect(writeToPickupDirectory(dir, envelope, failing)).rejects.toMatchObject({ code: 'ENOSPC' });
		expect(await contents(dir)).toEqual({ files: [PICKUP_TEMP_FOLDER], temp: [] });
	});

	it('the disk filling up after 1 MB (ENOSPC from the file, simulated): PickupDirectoryError, no .tmp and no .eml', async () => {
		const dir = await pickupFolder();
		const realOpen = fsp.open.bind(fsp);
		let tempFile = '';
		jest.spyOn(fsp, 'open').mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
			const handle = await realOpen(...args);
			tempFile = String(args[0]);
			let written = 0;
			const realWrite = handle.write.bind(handle) as (...a: unknown[]) => Promise<{ bytesWritten: number }>;
			(handle as { write: unknown }).write = async (...a: unknown[]) => {
				if (written > 1024 * 1024) throw fsError('ENOSPC', 'no space left on device, write');
				const result = await realWrite(...a);
				written += result.bytesWritten;
				return result;
			};
			return handle as FileHandle;
		});
		const { raw } = await composed(payslipMail(fakePdf(3_000_000)));
		const failure = await writeToPickupDirectory(dir, envelope, raw).catch((error: Error) => error);
		expect(failure).toBeInstanceOf(PickupDirectoryError);
		expect(failure).toMatchObject({ code: 'ENOSPC', message: `The pickup folder "${dir}" is on a full disk (no space left)` });
		expect(tempFile.startsWith(join(dir, PICKUP_TEMP_FOLDER))).toBe(true);
		expect(await contents(dir)).toEqual({ files: [PICKUP_TEMP_FOLDER], temp: [] });
	});

	it('a failed rename (permission): PickupDirectoryError, the temporary file removed', async () => {
		const dir = await pickupFolder();
		jest.spyOn(fsp, 'rename').mockRejectedValueOnce(fsError('EACCES', 'permission denied, rename'));
		await expect(writeToPickupDirectory(dir, envelope, Buffer.from('Subject: x\r\n\r\nx\r\n'))).rejects.toMatchObject({ code: 'EACCES' });
		expect(await contents(dir)).toEqual({ files: [PICKUP_TEMP_FOLDER], temp: [] });
	});

	it('a failed fsync: PickupDirectoryError, the temporary file removed', async () => {
		const dir = await pickupFolder();
		const realOpen = fsp.open.bind(fsp);
		jest.spyOn(fsp, 'open').mockImplementationOnce(async (...args: Parameters<typeof fsp.open>) => {
			const handle = await realOpen(...args);
			(handle as { sync: unknown }).sync = async () => {
				throw fsError('EIO', 'i/o error, fsync');
			};
			return handle;
		});
		await expect(writeToPickupDirectory(dir, envelope, Buffer.from('Subject: x\r\n\r\nx\r\n'))).rejects.toMatchObject({ code: 'EIO' });
		expect(await contents(dir)).toEqual({ files: [PICKUP_TEMP_FOLDER], temp: [] });
	});

	it('never overwrites: an existing .eml of the same name makes it pick another name', async () => {
		const dir = await pickupFolder();
		const real = await writeToPickupDirectory(dir, envelope, Buffer.from('Subject: 1\r\n\r\n1\r\n'));
		const realLstat = fsp.lstat.bind(fsp);
		// The first name tried "exists" (as if another writer had just taken it).
		jest.spyOn(fsp, 'lstat').mockImplementationOnce(async () => realLstat(real));
		const second = await writeToPickupDirectory(dir, envelope, Buffer.from('Subject: 2\r\n\r\n2\r\n'));
		expect(second).not.toBe(real);
		expect((await fsp.readFile(real, 'latin1')).endsWith('1\r\n')).toBe(true);
		expect((await fsp.readFile(second, 'latin1')).endsWith('2\r\n')).toBe(true);
	});

	it.each([
		['a line break in a recipient', { from: 'lohn@firma.example', to: ['anna@example.com\r\nX-Receiver: evil@example.net'] }],
		['a line break in the sender', { from: 'lohn@firma.example\nX-Receiver: evil@example.net', to: ['anna@example.com'] }],
		['no recipient', { from: 'lohn@firma.example', to: [] }],
		['an empty sender', { from: '', to: ['anna@example.com'] }],
		['a display name instead of an address', { from: 'Lohnbüro <lohn@firma.example>', to: ['anna@example.com'] }],
	])('refuses %s before writing anything', async (_name, bad) => {
		const dir = await pickupFolder();
		await expect(writeToPickupDirectory(dir, bad as PickupEnvelope, Buffer.from('x'))).rejects.toBeInstanceOf(TypeError);
		expect(await fsp.readdir(dir)).toEqual([]);
	});
});

describe('writeToPickupDirectory: cancelled', () => {
	it('an already aborted signal: nothing is written, not even the temporary subfolder', async () => {
		const dir = await pickupFolder();
		const controller = new AbortController();
		controller.abort();
		await expect(writeToPickupDirectory(dir, envelope, Buffer.from('x'), controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
		expect(await fsp.readdir(dir)).toEqual([]);
	});

	it('an abort while a stalled stream is being written: stops at once and leaves nothing', async () => {
		const dir = await pickupFolder();
		const controller = new AbortController();
		// The writer asks for more once it has taken the first megabyte: by then the temporary file is open.
		let askedForMore!: () => void;
		const stalling = new Promise<void>((resolve) => (askedForMore = resolve));
		const stalled = new Readable({ read: () => askedForMore() });
		stalled.push(randomBytes(1024 * 1024));
		const writing = writeToPickupDirectory(dir, envelope, stalled, controller.signal);
		await stalling;
		expect((await contents(dir)).temp).toHaveLength(1);
		const started = Date.now();
		controller.abort();
		await expect(writing).rejects.toMatchObject({ name: 'AbortError' });
		// The stream never ends: finishing at all is the abort's doing; the bound rules out a timeout.
		expect(Date.now() - started).toBeLessThan(3_000);
		expect(await contents(dir)).toEqual({ files: [PICKUP_TEMP_FOLDER], temp: [] });
	});

	it('an abort with a reason of its own throws that reason', async () => {
		const dir = await pickupFolder();
		const controller = new AbortController();
		const reason = new Error('execution cancelled');
		const writing = writeToPickupDirectory(
			dir,
			envelope,
			// Aborted in the middle of the stream, as its 3rd of 62 chunks is handed out.
			slowStream(randomBytes(4_000_000), undefined, undefined, (count) => count === 3 && controller.abort(reason)),
			controller.signal,
		);
		await expect(writing).rejects.toBe(reason);
		expect(await contents(dir)).toEqual({ files: [PICKUP_TEMP_FOLDER], temp: [] });
	});

	it('an abort during a large Buffer write leaves nothing', async () => {
		const dir = await pickupFolder();
		const controller = new AbortController();
		const realOpen = fsp.open.bind(fsp);
		jest.spyOn(fsp, 'open').mockImplementationOnce(async (...args: Parameters<typeof fsp.open>) => {
			const handle = await realOpen(...args);
			const realWrite = handle.write.bind(handle) as (...a: unknown[]) => Promise<{ bytesWritten: number }>;
			let writes = 0;
			(handle as { write: unknown }).write = async (...a: unknown[]) => {
				if (++writes === 3) controller.abort();
				return realWrite(...a);
			};
			return handle;
		});
		await expect(writeToPickupDirectory(dir, envelope, randomBytes(8 * 1024 * 1024), controller.signal)).rejects.toMatchObject({
			name: 'AbortError',
		});
		expect(await contents(dir)).toEqual({ files: [PICKUP_TEMP_FOLDER], temp: [] });
	});
});
