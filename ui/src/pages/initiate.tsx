// The "Initiate connection" wizard: destination -> configuration type -> connection information -> invitation code.
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Connection, enc, get, type Mode, type NodeInfo, post, type WellKnown } from '../api.ts';
import { Field, issueFor, Page, Problem } from '../components/ui.tsx';
import { useAction } from '../hooks.ts';
import { href, navigate } from '../router.ts';

const MODE_TEXT: Record<Mode, { title: string; text: string }> = {
  basic: {
    title: 'Basic',
    text: 'A fixed mapping of the common fields. Nothing to configure; not editable.',
  },
  visual: {
    title: 'Visual',
    text: 'Map fields and values for both sides from one place, with defaults and a scope.',
  },
  script: {
    title: 'Script',
    text: 'Your own outgoing and incoming JavaScript on each side. Starts with rules that sync at once.',
  },
};
const ALL_MODES: Mode[] = ['basic', 'visual', 'script'];

/** What the probe tells about the destination, whatever the exact shape of the answer. */
interface Destination {
  name: string | null;
  nodeId: string | null;
  fingerprint: string | null;
  self: boolean;
  modes: Mode[];
}

export function normalizeProbe(r: Record<string, unknown>): Destination {
  const doc = (r.wellKnown ?? r.node ?? r.destination ?? r.document ?? r.remote ?? r) as Partial<WellKnown>;
  const modes = (r.commonModes ?? r.sharedModes ?? r.modes ?? doc.modes ?? []) as string[];
  return {
    name: doc.name ?? null,
    nodeId: doc.nodeId ?? null,
    fingerprint: typeof r.fingerprint === 'string' ? r.fingerprint : null,
    self: r.self === true,
    modes: ALL_MODES.filter((m) => modes.includes(m)),
  };
}

export function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
}

type Step = 'destination' | 'information' | 'invitation';
type Created = { connection: Connection; invitationCode: string; invitationFingerprint?: string };

export function InitiateConnection() {
  const [step, setStep] = useState<Step>('destination');
  const [url, setUrl] = useState('');
  const [noUrl, setNoUrl] = useState(false);
  const [dest, setDest] = useState<Destination | null>(null);
  const [mode, setMode] = useState<Mode | ''>('');
  const [localName, setLocalName] = useState('');
  const [remoteName, setRemoteName] = useState('');
  const [name, setName] = useState('');
  const [nameTouched, setNameTouched] = useState(false);
  const [description, setDescription] = useState('');
  const [expires, setExpires] = useState('72');
  const [created, setCreated] = useState<Created | null>(null);
  const probe = useAction();
  const create = useAction();
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    get<NodeInfo>('/api/node').then(
      (n) => setLocalName((cur) => cur || slug(n.name)),
      () => {},
    );
  }, []);
  useEffect(() => {
    if (!nameTouched && localName && remoteName) setName(`${localName}_to_${remoteName}`);
  }, [localName, remoteName, nameTouched]);
  useEffect(() => {
    headingRef.current?.focus();
  }, [step]);

  const chooseNoUrl = async (checked: boolean) => {
    setNoUrl(checked);
    setDest(null);
    setMode('');
    probe.setError(undefined);
    if (checked) {
      // Without a destination, offer the modes this node supports.
      const own = await probe.run(() =>
        fetch('/.well-known/tandem').then((r) => r.json() as Promise<WellKnown>),
      );
      setDest({
        name: null,
        nodeId: null,
        fingerprint: null,
        self: false,
        modes: ALL_MODES.filter((m) => (own?.modes ?? ALL_MODES).includes(m)),
      });
    }
  };

  const runProbe = async () => {
    const r = await probe.run(() => get<Record<string, unknown>>(`/api/probe?url=${enc(url.trim())}`));
    if (!r) return;
    const d = normalizeProbe(r);
    setDest(d);
    setMode(d.modes.length === 1 ? d.modes[0]! : '');
    if (d.name && !remoteName) setRemoteName(slug(d.name));
  };

  const submitDestination = async (e: Event) => {
    e.preventDefault();
    if (!dest) {
      if (!noUrl) await runProbe();
      return;
    }
    if (mode) setStep('information');
  };

  const submitInformation = async (e: Event) => {
    e.preventDefault();
    const r = await create.run(() =>
      post<Created>('/api/connections', {
        destinationUrl: noUrl ? null : url.trim(),
        mode,
        localName: localName.trim(),
        remoteName: remoteName.trim(),
        name: name.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
        ...(expires ? { expiresInHours: Number(expires) } : {}),
      }),
    );
    if (r) {
      setCreated(r);
      setStep('invitation');
    }
  };

  const stepNo = step === 'destination' ? 1 : step === 'information' ? 2 : 3;
  return (
    <Page title="Initiate connection" actions={<a href={href('/connections')}>Back to connections</a>}>
      <div class="card wizard">
        <p class="step-count" aria-live="polite">
          Step {stepNo} of 3
        </p>
        {step === 'destination' ? (
          <form onSubmit={submitDestination} class="form">
            <h2 ref={headingRef} tabIndex={-1}>
              Destination
            </h2>
            <Field
              label="Destination instance URL"
              id="dest-url"
              hint="The other host's address (its public URL from its General settings)."
              error={issueFor(probe.error, 'url')}
            >
              <input
                id="dest-url"
                type="url"
                placeholder="https://partner.example.com"
                disabled={noUrl}
                required={!noUrl}
                value={url}
                onInput={(e) => {
                  setUrl(e.currentTarget.value);
                  setDest(null);
                  setMode('');
                }}
              />
            </Field>
            <label class="check">
              <input
                type="checkbox"
                checked={noUrl}
                onChange={(e) => void chooseNoUrl(e.currentTarget.checked)}
              />
              I don't have a URL
            </label>
            {noUrl ? (
              <p class="hint">
                The invitation will not be bound to one node; whoever accepts it dials this host, so this host
                needs a public URL.
              </p>
            ) : null}
            <Problem error={probe.error} title="The destination could not be reached" />
            {dest ? (
              <fieldset class="modes">
                <legend>Choose the configuration type</legend>
                {dest.name ? (
                  <p class="hint">
                    Destination: <strong>{dest.name}</strong>
                    {dest.fingerprint || dest.nodeId ? (
                      <>
                        {' '}
                        · key fingerprint <code>{dest.fingerprint ?? `${dest.nodeId?.slice(0, 12)}…`}</code>
                      </>
                    ) : null}
                  </p>
                ) : null}
                {dest.self ? (
                  <p class="problem" role="alert">
                    This URL is this node itself. Enter the other side's URL.
                  </p>
                ) : null}
                {dest.modes.length === 0 ? (
                  <p class="problem" role="alert">
                    The destination offers no mode this node supports.
                  </p>
                ) : null}
                {dest.modes.map((m) => (
                  <label class="mode-option" key={m}>
                    <input
                      type="radio"
                      name="mode"
                      value={m}
                      checked={mode === m}
                      onChange={() => setMode(m)}
                    />
                    <span>
                      <strong>{MODE_TEXT[m].title}</strong>
                      <span class="muted"> — {MODE_TEXT[m].text}</span>
                    </span>
                  </label>
                ))}
                <p class="hint">The mode cannot be changed later; a new mode means a new connection.</p>
              </fieldset>
            ) : null}
            <div class="form-actions">
              <button
                type="submit"
                class="primary"
                disabled={probe.busy || (!!dest && (!mode || dest.self)) || (!dest && noUrl)}
              >
                {probe.busy ? 'Checking…' : 'Next'}
              </button>
            </div>
          </form>
        ) : step === 'information' ? (
          <form onSubmit={submitInformation} class="form">
            <h2 ref={headingRef} tabIndex={-1}>
              Connection information
            </h2>
            <div class="grid-2">
              <Field
                label="Local instance short name"
                id="local-name"
                required
                hint="A short name for this instance"
                error={issueFor(create.error, 'localName')}
              >
                <input
                  id="local-name"
                  required
                  maxLength={100}
                  value={localName}
                  onInput={(e) => setLocalName(e.currentTarget.value)}
                />
              </Field>
              <Field
                label="Remote instance short name"
                id="remote-name"
                required
                hint="A short name for the destination instance"
                error={issueFor(create.error, 'remoteName')}
              >
                <input
                  id="remote-name"
                  required
                  maxLength={100}
                  value={remoteName}
                  onInput={(e) => setRemoteName(e.currentTarget.value)}
                />
              </Field>
            </div>
            <Field label="Connection name" id="conn-name" required error={issueFor(create.error, 'name')}>
              <input
                id="conn-name"
                required
                maxLength={200}
                value={name}
                onInput={(e) => {
                  setName(e.currentTarget.value);
                  setNameTouched(true);
                }}
              />
            </Field>
            <Field label="Description" id="conn-description" error={issueFor(create.error, 'description')}>
              <textarea
                id="conn-description"
                rows={3}
                maxLength={2000}
                value={description}
                onInput={(e) => setDescription(e.currentTarget.value)}
              />
            </Field>
            <Field
              label="Invitation expires after (hours)"
              id="conn-expires"
              error={issueFor(create.error, 'expiresInHours')}
            >
              <input
                id="conn-expires"
                type="number"
                min={1}
                max={720}
                value={expires}
                onInput={(e) => setExpires(e.currentTarget.value)}
              />
            </Field>
            <p class="hint">
              Mode: <strong>{mode ? MODE_TEXT[mode].title : ''}</strong>
              {noUrl ? ' · no destination URL' : ` · ${url}`}
            </p>
            <Problem error={create.error} title="The connection was not created" />
            <div class="form-actions">
              <button type="button" onClick={() => setStep('destination')}>
                Previous
              </button>
              <button type="submit" class="primary" disabled={create.busy}>
                {create.busy ? 'Creating…' : 'Next'}
              </button>
            </div>
          </form>
        ) : created ? (
          <Invitation created={created} destinationUrl={noUrl ? null : url.trim()} headingRef={headingRef} />
        ) : null}
      </div>
    </Page>
  );
}

function Invitation(props: {
  created: Created;
  destinationUrl: string | null;
  headingRef: preact.RefObject<HTMLHeadingElement>;
}) {
  const { connection, invitationCode } = props.created;
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const [fingerprint, setFingerprint] = useState('');
  const codeRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (props.created.invitationFingerprint) setFingerprint(props.created.invitationFingerprint);
    else void codeFingerprint(invitationCode).then(setFingerprint);
  }, [invitationCode]);
  const copy = async () => {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(invitationCode);
      setCopied('yes');
    } catch {
      setCopied('failed');
      codeRef.current?.focus();
      codeRef.current?.select();
    }
  };
  return (
    <div class="form">
      <h2 ref={props.headingRef} tabIndex={-1}>
        Invitation code
      </h2>
      <p>
        On the <strong>"{connection.remoteName}"</strong> side, you (or their administrator) need to{' '}
        <strong>Accept invitation</strong>. Use the following invitation code:
      </p>
      <div class="form-actions">
        <button type="button" class="primary" onClick={() => void copy()}>
          Copy invitation code
        </button>
        <span role="status" class={copied === 'yes' ? 'saved' : copied === 'failed' ? 'field-error' : ''}>
          {copied === 'yes'
            ? 'Invitation code copied to the clipboard.'
            : copied === 'failed'
              ? 'Copying is not available here: the code below is selected, copy it with Ctrl+C.'
              : ''}
        </span>
      </div>
      <Field
        label="Invitation code"
        id="invitation-code"
        hint={
          <>
            Single use; it expires. Treat it like a password until it is accepted.
            {fingerprint ? (
              <>
                {' '}
                Fingerprint <code data-testid="code-fingerprint">{fingerprint}</code>.
              </>
            ) : null}
          </>
        }
      >
        <textarea
          id="invitation-code"
          ref={codeRef}
          class="code-text"
          readOnly
          rows={4}
          value={invitationCode}
          onFocus={(e) => e.currentTarget.select()}
        />
      </Field>
      <div class="form-actions">
        {props.destinationUrl ? (
          <a
            class="button"
            href={`${props.destinationUrl.replace(/\/+$/, '')}/#/connections/accept`}
            target="_blank"
            rel="noopener noreferrer"
          >
            Go to remote
          </a>
        ) : null}
        <button type="button" class="primary" onClick={() => navigate(`/connections/${connection.id}`)}>
          Done
        </button>
      </div>
      <p class="hint">When the other side accepts the invitation, the connection becomes active.</p>
    </div>
  );
}

/** The code's fingerprint as the host shows it (SHA-256, 16 hex digits in groups of 4), for admins to compare. */
export async function codeFingerprint(code: string): Promise<string> {
  if (!globalThis.crypto?.subtle) return '';
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(code.trim()));
  const hex = [...new Uint8Array(digest)]
    .slice(0, 8)
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
  return hex.match(/.{4}/g)?.join('-') ?? hex;
}
