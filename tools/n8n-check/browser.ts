/**
 * Debian's Chromium for the editor check, driven by playwright-core (which brings no browser of
 * its own). Chromium runs in its own process group like every other process here (processes.ts:
 * killed at exit, even on Ctrl-C), with a fresh profile folder that is removed when it closes,
 * and it may only reach the n8n under test: every other request is aborted.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { chromium, type Browser, type BrowserContext } from 'playwright-core';

import { BROWSER_ID } from './n8nInstance';
import { atExit, Background, cleanEnv } from './processes';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--remote-debugging-address=127.0.0.1',
	'--remote-debugging-port=0',
];

export class EditorBrowser {
	/** Requests the browser wanted to make outside n8n (aborted), without their query. */
	readonly blocked = new Set<string>();

	private constructor(
		private readonly chromiumProcess: Background,
		private readonly profile: string,
		private readonly browser: Browser,
		readonly context: BrowserContext,
	) {}

	/**
	 * Starts Chromium with a new profile under `parentFolder`, its output in `logFile`, and opens
	 * a context logged in to n8n at `baseUrl` with the REST client's session cookie.
	 */
	static async launch(baseUrl: string, authCookie: string, parentFolder: string, logFile: string): Promise<EditorBrowser> {
		if (!existsSync(CHROMIUM)) {
			throw new Error(`no Chromium at ${CHROMIUM}: install the Debian package chromium (bash test/system/provision.sh does)`);
		}
		const profile = mkdtempSync(join(parentFolder, 'chromium-profile-'));
		// Also after a failure or Ctrl-C (Chromium is killed at exit before this runs).
		atExit(() => rmSync(profile, { recursive: true, force: true }));
		const chromiumProcess = Background.start(CHROMIUM, [...ARGS, `--user-data-dir=${profile}`, 'about:blank'], {
			cwd: profile,
			env: cleanEnv(),
			logFile,
		});
		try {
			const [, endpoint] = await chromiumProcess.waitForOutput(/DevTools listening on (ws:\/\/\S+)/, 30_000);
			const browser = await chromium.connectOverCDP(endpoint, { timeout: 30_000 });
			const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
			const editor = new EditorBrowser(chromiumProcess, profile, browser, context);
			context.setDefaultTimeout(15_000);
			context.setDefaultNavigationTimeout(45_000);
			await context.route(
				(url) => !url.href.startsWith(`${baseUrl}/`),
				async (route) => {
					editor.blocked.add(route.request().url().replace(/[?#].*/s, ''));
					await route.abort();
				},
			);
			// n8n ties the cookie to the browser id sent at login; the editor sends this one.
			type Storage = { localStorage: { setItem(key: string, value: string): void } };
			await context.addInitScript((id) => (globalThis as unknown as Storage).localStorage.setItem('n8n-browserId', id), BROWSER_ID);
			await context.addCookies([{ name: 'n8n-auth', value: authCookie, url: baseUrl }]);
			return editor;
		} catch (error) {
			await chromiumProcess.stop(5_000);
			rmSync(profile, { recursive: true, force: true });
			throw error;
		}
	}

	/**
	 * Disconnects (at most 10 s), stops Chromium's process group (SIGTERM, SIGKILL after 5 s) and
	 * removes the profile. Never throws; says whether Chromium had to be killed.
	 */
	async close(): Promise<'stopped' | 'killed'> {
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([
			this.browser.close().catch(() => undefined),
			new Promise((resolve) => (timer = setTimeout(resolve, 10_000))),
		]);
		clearTimeout(timer);
		const how = await this.chromiumProcess.stop(5_000);
		rmSync(this.profile, { recursive: true, force: true });
		return how;
	}

	/** Ends Chromium at once, e.g. when the check has run too long: pending calls then reject. */
	async kill(): Promise<void> {
		await this.chromiumProcess.kill();
	}
}
