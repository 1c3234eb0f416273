import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import { agentAddress } from './app/agent-address.ts';
import { ConnectScreen } from './app/ConnectScreen.tsx';
import { Connecting } from './app/Connecting.tsx';
import './styles.css';

const container = document.getElementById('root');
if (container === null) throw new Error('The page has no #root element to render into.');
const root = createRoot(container);
const address = agentAddress(window.location);

root.render(
  <StrictMode>
    {address === null ? (
      <ConnectScreen />
    ) : (
      <Connecting address={address}>{(client) => <App client={client} />}</Connecting>
    )}
  </StrictMode>,
);
