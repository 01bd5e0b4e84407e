/**
 * Everything checked in one n8n version: install, load, the credential test through n8n's REST
 * API, and the payroll workflow run by `n8n execute`, judged from its run data and from what
 * the loopback SMTP server received.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { TestSmtpServer } from '../../test/support/testSmtpServer';
import { n8nInstall, nodeRuntime, type CacheUse } from './cache';
import { installCommunityPackage } from './communityPackage';
import { N8nInstance, RestClient } from './n8nInstance';
import { credentialData, SMTP_PASSWORD, SMTP_USER } from './payrollWorkflow';
import { StopTarget, TargetReport } from './report';
import { restChecks } from './restChecks';
import type { Target } from './targets';
import { crashChecks, CrashServerHooks, saveCrashWorkflows } from './crashChecks';
import { editorChecks, screenshotFolder } from './editorChecks';
import { oauthChecks } from './oauthChecks';
import { checkDelivery, checkRunData, parseRunOutput } from './verifyRun';

function describeInstall(cache: CacheUse): string {
	const { record } = cache;
	const seconds = (value: unknown) => `${Number(value).toFixed(0)} s`;
	const parts = `npm install ${seconds(record.npmInstallSeconds)} + sqlite3 build ${seconds(record.sqlite3BuildSeconds)}`;
	return cache.hit
		? `cached in ${cache.dir} (its cold install on ${record.createdAt} took ${seconds(record.buildSeconds)}: ${parts})`
		: `installed now into ${cache.dir} in ${seconds(cache.seconds)} (${parts})`;
}

export async function runTarget(target: Target, tarball: string, workDir: string, keep: boolean): Promise<TargetReport> {
	const report = new TargetReport(`n8n ${target.n8nVersion}`);
	report.notes.push(...target.notes);
	const userFolder = mkdtempSync(join(workDir, `n8n-${target.n8nVersion}-`));
	let smtp: TestSmtpServer | undefined;
	let crashSmtp: TestSmtpServer | undefined;
	let n8n: N8nInstance | undefined;
	try {
		const node = await report.step(
			'Node runtime',
			() => report.timed('node', () => nodeRuntime(target.node)),
			(runtime) => `${runtime.version} from ${target.node === 'system' ? 'the system' : `npm ${target.node}`}`,
		);
		report.nodeVersion = node.version;
		const install = await report.step(`n8n ${target.n8nVersion} installed`, () =>
			report.timed('n8n install', () => n8nInstall(target, node)),
		);
		report.install = describeInstall(install.cache);
		await report.step(
			"package installed as n8n's Community Nodes installer does",
			() => report.timed('package install', () => installCommunityPackage(tarball, userFolder)),
			(pkg) => `${pkg.name}@${pkg.version} with ${pkg.dependencies.join(', ')}`,
		);

		const server = await TestSmtpServer.start({
			tls: 'none',
			authMethods: ['LOGIN'],
			users: { [SMTP_USER]: SMTP_PASSWORD },
			authRequired: true,
		});
		smtp = server;
		const instance = await N8nInstance.create(install, node, userFolder, target.env ?? {});
		n8n = instance;
		await report.step(
			'n8n start: REST API up',
			() => report.timed('n8n start', () => instance.start(180_000)),
			(ms) => `${(ms / 1000).toFixed(1)} s`,
		);
		const rest = new RestClient(instance.baseUrl);
		const { workflowId, credential } = await report.timed('REST checks', () =>
			restChecks(report, rest, server, () => instance.serverLogTail(20)),
		);
		const screenshots = screenshotFolder(target.n8nVersion);
		await report.timed('editor check', () =>
			editorChecks(report, {
				rest,
				baseUrl: instance.baseUrl,
				credential,
				workFolder: workDir,
				logFile: join(userFolder, 'chromium.log'),
				screenshots,
			}),
		);
		const hooks = new CrashServerHooks();
		const crashServer = await TestSmtpServer.start({
			tls: 'none',
			authMethods: ['LOGIN'],
			users: { [SMTP_USER]: SMTP_PASSWORD },
			onMessageEvent: hooks.onMessageEvent,
			replyDelayMs: hooks.replyDelayMs,
		});
		crashSmtp = crashServer;
		const crashWorkflowIds = await report.step('crash-check workflows saved', async () => {
			const credential = await rest.post<{ id: string; name: string }>('/rest/credentials', {
				name: 'Crash check SMTP',
				type: 'payrollSmtpApi',
				data: credentialData(SMTP_PASSWORD, crashServer.port),
			});
			return saveCrashWorkflows(rest, credential);
		});
		await report.timed('n8n stop', () => instance.stop());

		const run = await report.step('workflow run by `n8n execute --id` finished without error', () =>
			report.timed('execute', async () =>
				parseRunOutput(await instance.cli(['execute', `--id=${workflowId}`, '--rawOutput'], 180_000)),
			),
		);
		checkRunData(report, run);
		await checkDelivery(report, server);
		await report.timed('crash checks', () => crashChecks(report, instance, crashServer, hooks, crashWorkflowIds));
		await report.timed('OAuth2 checks', () => oauthChecks(report, instance));
	} catch (error) {
		if (!(error instanceof StopTarget)) {
			report.fail('unexpected error', error instanceof Error ? (error.stack ?? error.message) : String(error));
		}
	} finally {
		if ((await n8n?.stop()) === 'killed') report.notes.push('n8n did not stop within 20 s of SIGTERM and was killed');
		await smtp?.close();
		await crashSmtp?.close();
		if (keep) report.notes.push(`user folder and n8n log kept: ${userFolder}`);
		else rmSync(userFolder, { recursive: true, force: true });
	}
	return report;
}
