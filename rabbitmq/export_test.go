package rabbitmq

// DropConnection closes the publisher's connection under it, as a broker
// restart or a network cut would.
func (p *Publisher) DropConnection() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		p.conn.Close()
	}
}
