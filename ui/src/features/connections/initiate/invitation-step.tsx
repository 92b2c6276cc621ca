// Wizard step 3: the invitation code to copy for the other side, its fingerprint, and a link to the remote.
import { useRef, useState } from 'preact/hooks';
import type { Created } from '../../../api.ts';
import { Field } from '../../../components/ui.tsx';
import { navigate } from '../../../router.ts';
import { StepHeading } from './step-heading.tsx';

export function InvitationStep(props: { created: Created; destinationUrl: string | null }) {
  // The host answers the code's fingerprint with the code itself.
  const { connection, invitationCode, invitationFingerprint: fingerprint } = props.created;
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const codeRef = useRef<HTMLTextAreaElement>(null);
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
      <StepHeading>Invitation code</StepHeading>
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
