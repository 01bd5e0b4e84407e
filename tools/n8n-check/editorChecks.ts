/**
 * The node in n8n's real editor, in headless Chromium while `n8n start` runs: what a clerk sees
 * on the node's panel, in its Options list and in the credential dialog, judged from what is
 * visible, against the table in editorExpectations.ts. Screenshots of the steps are kept for a
 * person to look at. A step the editor does not allow (a parameter that is not there) is a failed
 * check and is skipped; an error (a wait that timed out) ends the browser check with one failure.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { Page } from 'playwright-core';

import { EditorBrowser } from './browser';
import { EXPECTED } from './editorExpectations';
import { addOption, CREDENTIAL_SLOT, openNewCredential, openNodePanel, parameterInput, pick, switchOn, visibleParameters } from './editorPage';
import { credentialSteps, difference, EditorCheck, pickupSteps, sameSet, sendModeSteps } from './editorSteps';
import type { RestClient } from './n8nInstance';
import { NodeDescription, type NodeTypeDescription, type Property } from './nodeDescription';
import { workflowNode } from './payrollWorkflow';
import type { TargetReport } from './report';
import { CREDENTIAL_TYPE, NODE_TYPE } from './restChecks';

export interface EditorCheckSetup {
	rest: RestClient;
	baseUrl: string;
	credential: { id: string; name: string };
	/** Where Chromium's profile goes (removed after) and its log. */
	workFolder: string;
	logFile: string;
	screenshots: string;
}

/** The folder kept for a person to look at: tools/n8n-check/screenshots/<n8n version>. */
export function screenshotFolder(n8nVersion: string): string {
	return resolve(__dirname, 'screenshots', n8nVersion);
}

const NODE_NAME = 'Payroll Mail';

function editorWorkflow(credential: { id: string; name: string }) {
	const node = (name: string, type: string, typeVersion: number, x: number, parameters: object) => workflowNode(name, type, typeVersion, [x, 0], parameters);
	return {
		name: 'Payroll Mail in the editor',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			node('Manual Trigger', 'n8n-nodes-base.manualTrigger', 1, 0, {}),
			{ ...node(NODE_NAME, NODE_TYPE, EXPECTED.typeVersion, 240, {}), credentials: { payrollSmtpApi: credential } },
		],
		connections: { 'Manual Trigger': { main: [[{ node: NODE_NAME, type: 'main', index: 0 }]] } },
	};
}

async function runSteps(check: EditorCheck, page: Page, node: NodeDescription, smtp: NodeDescription, url: string) {
	const { options, pickup, credential, sendMode } = EXPECTED;
	check.doing = 'loading the workflow in the editor';
	await page.goto(url);
	await page.locator(`[data-test-id="canvas-node"][data-node-name="${NODE_NAME}"]`).waitFor({ timeout: 60_000 });
	await check.shot('canvas');

	check.doing = 'opening the node panel';
	await openNodePanel(page, NODE_NAME);
	const initial = await visibleParameters(page);
	const first = initial.find((name) => name !== CREDENTIAL_SLOT);
	const { parameters, firstParameter } = EXPECTED;
	check.expect(`node panel (v${EXPECTED.typeVersion}) shows exactly its parameters`, sameSet(initial, parameters), difference(initial, parameters));
	check.expect(`${firstParameter} is the first parameter`, first === firstParameter, `seen in order: ${initial.join(', ')}`);
	await check.shot('node-panel');

	check.doing = 'reading "Add Option"';
	const list = await check.addOptionList({ added: [], gateOn: false, html: false, pickup: false }, 'add-option');
	const { label } = list;
	check.expect(`"Add Option" lists the options of v${EXPECTED.typeVersion}`, sameSet(list.seen, list.expected), difference(list.seen, list.expected));
	if (options.first.length) {
		const firstLabels = options.first.map(label);
		const begins = firstLabels.every((entry, index) => list.seen[index] === entry);
		check.expect(`"Add Option" begins with ${firstLabels.join(', ')}`, begins, `seen in order: ${list.seen.join(', ')}`);
	}
	const keptOut = [...options.never, ...options.gated, ...options.behindChoice, ...options.htmlOnly];
	if (keptOut.length) {
		const listed = keptOut.filter(list.listed).map(label);
		const detail = `listed: ${listed.join(', ')}\nseen: ${list.seen.join(', ')}`;
		check.expect(`"Add Option" lacks ${keptOut.map(label).join(', ')}`, listed.length === 0, detail);
	}

	if (sendMode && check.offers(`${sendMode.name} is on the panel`, initial.includes(sendMode.name), initial)) {
		check.doing = `switching ${sendMode.name}`;
		await sendModeSteps(check, page, node, sendMode);
	}

	const gate = label(options.gate);
	if (check.offers(`"Add Option" offers ${gate}`, list.listed(options.gate), list.seen)) {
		check.doing = `adding ${gate} and switching it on`;
		await addOption(page, options.collection, gate, options.gate);
		await switchOn(page, options.gate);
		const gated = await check.addOptionList({ added: [options.gate], gateOn: true, html: false, pickup: false });
		const unlocked = options.gated.map(label).join(', ') || 'no more options';
		check.expect(`${gate} on: "Add Option" lists ${unlocked}`, sameSet(gated.seen, gated.expected), difference(gated.seen, gated.expected));
	}
	const added = list.listed(options.gate) ? [options.gate] : [];

	check.doing = 'switching Email Format to HTML';
	await pick(page, parameterInput(page, 'emailFormat'), node.choiceLabel('emailFormat', 'html'));
	await parameterInput(page, 'html').waitFor();
	const html = await check.addOptionList({ added, gateOn: added.length > 0, html: true, pickup: false });
	const htmlOnly = options.htmlOnly.map(label).join(', ') || 'no more options';
	check.expect(`Email Format HTML: "Add Option" lists ${htmlOnly}`, sameSet(html.seen, html.expected), difference(html.seen, html.expected));

	const beforePickup = await visibleParameters(page);
	if (pickup && check.offers('delivery is on the panel', beforePickup.includes('delivery'), beforePickup)) {
		check.doing = 'switching Delivery to Pickup Directory and back';
		await pickupSteps(check, page, node, pickup, { added, before: beforePickup });
	}

	check.doing = 'opening the dialog of a new credential';
	const dialog = await openNewCredential(page);
	check.doing = 'switching fields of the new credential';
	await credentialSteps(check, page, dialog, credential, smtp.choiceLabel('connection', 'plaintext'));
}

/** The whole browser check; a step that cannot go on is one failed check, and the target goes on. */
export async function editorChecks(report: TargetReport, setup: EditorCheckSetup): Promise<void> {
	rmSync(setup.screenshots, { recursive: true, force: true });
	mkdirSync(setup.screenshots, { recursive: true });
	let editor: EditorBrowser | undefined;
	let page: Page | undefined;
	let check: EditorCheck | undefined;
	const pageErrors: string[] = [];
	// The whole check is bounded: past this, Chromium is killed and every pending call fails.
	const watchdog = setTimeout(() => void editor?.kill(), 240_000);
	try {
		const types = await setup.rest.get<NodeTypeDescription[]>('/types/nodes.json');
		const type = types.find((candidate) => candidate.name === NODE_TYPE);
		if (!type) throw new Error(`${NODE_TYPE} is not in /types/nodes.json`);
		const node = new NodeDescription(type, EXPECTED.typeVersion);
		const credentialTypes = await setup.rest.get<Array<{ name: string; properties: Property[] }>>('/types/credentials.json');
		const smtp = credentialTypes.find((candidate) => candidate.name === CREDENTIAL_TYPE);
		if (!smtp) throw new Error(`${CREDENTIAL_TYPE} is not in /types/credentials.json`);
		const smtpCredential = new NodeDescription({ ...smtp, version: 1 }, 1);
		report.expect(
			`editor: node type versions ${EXPECTED.versions.join(', ')}, default ${EXPECTED.defaultVersion}`,
			node.versions.join() === EXPECTED.versions.join() && node.defaultVersion === EXPECTED.defaultVersion,
			`served: versions ${node.versions.join(', ')}, default ${node.defaultVersion}`,
		);
		if (!node.versions.includes(EXPECTED.typeVersion)) {
			const detail = `not started: n8n serves no type version ${EXPECTED.typeVersion} of the node, its editor would only offer to install it`;
			report.fail('editor: browser check ran to its end', detail);
			return;
		}
		const workflow = await setup.rest.post<{ id: string }>('/rest/workflows', editorWorkflow(setup.credential));
		const cookie = setup.rest.authCookie;
		if (!cookie) throw new Error('the REST client holds no n8n-auth cookie (not logged in)');
		editor = await EditorBrowser.launch(setup.baseUrl, cookie, setup.workFolder, setup.logFile);
		page = await editor.context.newPage();
		page.on('pageerror', (error) => pageErrors.push(error.message));
		check = new EditorCheck(report, page, node, setup.screenshots, EXPECTED);
		await runSteps(check, page, node, smtpCredential, `${setup.baseUrl}/workflow/${workflow.id}`);
		report.pass('editor: screenshots saved', setup.screenshots);
	} catch (error) {
		const failure = page ? join(setup.screenshots, '99-failure.png') : undefined;
		if (page && failure) await page.screenshot({ path: failure, timeout: 10_000 }).catch(() => undefined);
		const errors = pageErrors.length ? `\npage errors: ${pageErrors.slice(-5).join(' | ')}` : '';
		const doing = check?.doing ?? (editor ? 'opening a page' : 'starting Chromium');
		// Playwright's call log is coloured for a terminal; the report is plain text.
		const message = (error instanceof Error ? error.message : String(error)).replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
		report.fail('editor: browser check ran to its end', `while ${doing}: ${message}${errors}${failure ? `\nscreenshot: ${failure}` : ''}`);
	} finally {
		clearTimeout(watchdog);
		if (editor?.blocked.size) report.notes.push(`editor: requests outside n8n blocked: ${[...editor.blocked].join(', ')}`);
		if ((await editor?.close()) === 'killed') report.notes.push('editor: Chromium did not stop on SIGTERM and was killed');
	}
}
