/**
 * What the editor check (editorChecks.ts) expects n8n's editor to show of the node: one table,
 * by parameter name as in the description, so that a change of design is a change here. Labels
 * appear only where the design itself names them; the others are read from the description n8n
 * serves (/types/nodes.json).
 */
import { CREDENTIAL_SLOT } from './editorPage';

export interface EditorExpectations {
	/** The type version the check's workflow saves the node with; the versions n8n must serve. */
	typeVersion: number;
	versions: number[];
	defaultVersion: number;
	/** The Parameters tab, every parameter at its default; CREDENTIAL_SLOT is the credential select. */
	parameters: string[];
	/** The first parameter after the credential slot. */
	firstParameter: string;
	/** A parameter choosing how to send: its entries [label, value], and the entry that shows a parameter right below it. */
	sendMode?: { name: string; choices: Array<[string, string]>; reveals: { value: string; parameter: string } };
	/** The Options collection's "Add Option" list. */
	options: {
		collection: string;
		/** The entries the list begins with, in order. */
		first: string[];
		/** Never listed in this type version. */
		never: string[];
		/** Listed only once `gate` is added and switched on. */
		gate: string;
		gated: string[];
		/** Listed only while Email Format is HTML, not while it is Text. */
		htmlOnly: string[];
	};
	/** Delivery → Pickup Directory; absent while the panel shows no Delivery to switch. */
	pickup?: { hidden: string[]; shown: string[]; /** Options no longer listed in "Add Option". */ smtpOnlyOptions: string[] };
	/** "Create new credential" of the node's SMTP credential. */
	credential: {
		/** The credential type's display name, under the dialog's title. */
		title: string;
		/** Visible as the dialog opens (Connection Security and Authentication: Automatic), `toggle` aside. */
		fields: string[];
		/** The boolean switch that shows `expert`; absent: `expert` is always shown. */
		toggle?: string;
		expert: string[];
		/** Of `expert`, hidden with Connection Security → Plain Text. */
		tlsOnly: string[];
	};
}

/** The credential's switch for the TLS and greeting fields an administrator rarely needs. */
export const ADVANCED_TLS = 'advancedTls';

/**
 * Type version 1.1: Send Mode first, Dry Run and Test Recipient moved out of Options, options shown
 * only where they apply, and the credential's expert fields behind a switch.
 */
export const EXPECTED: EditorExpectations = {
	typeVersion: 1.1,
	versions: [1, 1.1],
	defaultVersion: 1.1,
	// Not listed, as n8n's editor works: `authentication` (the node's credentials depend on it, so n8n
	// offers it in the credential dialog, at its top right) and `batchWait` while batchSize is 0.
	parameters: [CREDENTIAL_SLOT, 'sendMode', 'delivery', 'fromEmail', 'toEmail', 'subject', 'emailFormat', 'text', 'attachments',
		'recipientMode', 'bccEmail', 'batchSize', 'mailDelay', 'options'],
	firstParameter: 'sendMode',
	sendMode: {
		name: 'sendMode',
		choices: [
			['Send', 'send'],
			['Dry Run (Send Nothing)', 'dryRun'],
			['Only to a Test Address', 'testRecipient'],
		],
		reveals: { value: 'testRecipient', parameter: 'testRecipient' },
	},
	options: {
		collection: 'options',
		// n8n's lint keeps a collection's options in alphabetical order; the safety switches are Send Mode.
		first: ['includeEml', 'autoSubmitted', 'ccEmail'],
		// Table Name shows only with Record In → PostgreSQL, a state this check does not enter.
		never: ['dryRun', 'testRecipient', 'ledgerTable'],
		gate: 'skipAlreadySent',
		gated: ['idempotencyKey', 'ledgerStore', 'resendUnconfirmed'],
		htmlOnly: ['inlineImages'],
	},
	pickup: {
		hidden: [CREDENTIAL_SLOT],
		shown: ['pickupDirectory'],
		smtpOnlyOptions: ['parallelConnections', 'mailsPerConnection', 'connectionTimeout', 'greetingTimeout', 'socketTimeout', 'smtpLog'],
	},
	credential: {
		title: 'Payroll Mail SMTP',
		fields: ['host', 'port', 'connection', 'authMethod', 'user', 'password'],
		toggle: ADVANCED_TLS,
		expert: ['allowUnauthorizedCerts', 'caCertificate', 'tlsServerName', 'clientHostName'],
		tlsOnly: ['allowUnauthorizedCerts', 'caCertificate', 'tlsServerName'],
	},
};
