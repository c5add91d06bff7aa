// follow-order: a MallBots subscriber in Go. It reads the orders' and the invoices' events
// through the durables of its subscriber account (deploy/topology.conf, `subscriber` lines;
// `mallctl subscriber <name>` prints the settings), decodes each message (the envelope, then the
// payload by its name, with the descriptor set the build writes: docs/mallbots.protoset), and
// keeps a journal of the events it has processed.
//
// An event is processed (here: printed), then its journal line written and synced, then the
// message acknowledged; a message id already in the journal is acknowledged without being
// processed again. So the program may be stopped or killed at any point: it resumes where it
// was, losing no event; processing is repeated only for an event whose journal line did not
// reach the disk (a message delivered again carries the same Nats-Msg-Id), so a subscriber that
// does more than print makes that work idempotent, or commits it with the journal line.
//
// With --order it follows one order to its end: it exits once that order is completed and its
// invoice paid, or rejected, or canceled. --stop-after=N exits after N new events (of that
// order, with --order).
//
// Build it with Debian's Go packages (golang-go, golang-github-nats-io-go-nats-dev,
// golang-google-protobuf-dev), in GOPATH mode:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o follow-order ./examples/subscribers/go
//
// Run it (NATS_URL, NATS_USER and NATS_PASSWORD as `mallctl subscriber example-go` prints them):
//
//	./follow-order --protoset=build/debug/docs/mallbots.protoset --journal=orders.journal \
//	    --order=<order id>
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// The field number of the (eda.wire_name) message option (proto/eda/options.proto): the names a
// payload type travels under.
const wireNameOption = 50001

// Catalog decodes messages by the names they travel under, from a descriptor set.
type Catalog struct {
	envelope protoreflect.MessageDescriptor // jetstream.StreamMessage
	event    protoreflect.MessageDescriptor // EventMessageData
	payloads map[string]protoreflect.MessageDescriptor
}

func LoadCatalog(path string) (*Catalog, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := &Catalog{payloads: map[string]protoreflect.MessageDescriptor{}}
	find := func(name protoreflect.FullName) protoreflect.MessageDescriptor {
		d, err := files.FindDescriptorByName(name)
		if err != nil {
			return nil
		}
		md, _ := d.(protoreflect.MessageDescriptor)
		return md
	}
	if c.envelope, c.event = find("jetstream.StreamMessage"), find("EventMessageData"); c.envelope == nil || c.event == nil {
		return nil, fmt.Errorf("%s holds no envelope (proto/messaging)", path)
	}
	files.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		for i := 0; i < f.Messages().Len(); i++ {
			md := f.Messages().Get(i)
			for _, name := range wireNames(md) {
				c.payloads[name] = md
			}
		}
		return true
	})
	return c, nil
}

// wireNames reads the (eda.wire_name) options of a message: the descriptor set keeps them as
// unknown fields of its MessageOptions.
func wireNames(md protoreflect.MessageDescriptor) []string {
	options, ok := md.Options().(*descriptorpb.MessageOptions)
	if !ok || options == nil {
		return nil
	}
	var names []string
	raw := options.ProtoReflect().GetUnknown()
	for len(raw) > 0 {
		number, kind, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return names
		}
		raw = raw[n:]
		if number == wireNameOption && kind == protowire.BytesType {
			value, m := protowire.ConsumeBytes(raw)
			if m < 0 {
				return names
			}
			names = append(names, string(value))
			raw = raw[m:]
			continue
		}
		if m := protowire.ConsumeFieldValue(number, kind, raw); m >= 0 {
			raw = raw[m:]
		} else {
			return names
		}
	}
	return names
}

// Event is a decoded event: its message id and name, and its payload.
type Event struct {
	ID      string
	Name    string
	Payload *dynamicpb.Message
}

func (c *Catalog) Decode(data []byte) (*Event, error) {
	envelope := dynamicpb.NewMessage(c.envelope)
	if err := proto.Unmarshal(data, envelope); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	field := func(m *dynamicpb.Message, name protoreflect.Name) protoreflect.Value {
		return m.Get(m.Descriptor().Fields().ByName(name))
	}
	e := &Event{ID: field(envelope, "id").String(), Name: field(envelope, "name").String()}
	md, ok := c.payloads[e.Name]
	if !ok {
		return e, nil // a name this descriptor set does not know: kept, not decoded
	}
	event := dynamicpb.NewMessage(c.event)
	if err := proto.Unmarshal(field(envelope, "data").Bytes(), event); err != nil {
		return nil, fmt.Errorf("%s: event data: %w", e.Name, err)
	}
	e.Payload = dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(field(event, "payload").Bytes(), e.Payload); err != nil {
		return nil, fmt.Errorf("%s: payload: %w", e.Name, err)
	}
	return e, nil
}

// OrderID is the order an event is about: the order_id of an invoice's events, the id of an
// order's.
func (e *Event) OrderID() string {
	if e.Payload == nil {
		return ""
	}
	fields := e.Payload.Descriptor().Fields()
	for _, name := range []protoreflect.Name{"order_id", "id"} {
		if f := fields.ByName(name); f != nil && f.Kind() == protoreflect.StringKind {
			return e.Payload.Get(f).String()
		}
	}
	return ""
}

// Journal is the subscriber's state: one line per processed event, "<message id> <name>
// <order id>", appended and synced before the message is acknowledged.
type Journal struct {
	file   *os.File
	seen   map[string]bool
	orders map[string]map[string]bool // order id -> names of its events
}

func OpenJournal(path string) (*Journal, error) {
	// A line cut short by a crash is dropped: its message was not acknowledged, so it comes again.
	if data, err := os.ReadFile(path); err == nil && len(data) > 0 && data[len(data)-1] != '\n' {
		if err := os.Truncate(path, int64(strings.LastIndexByte(string(data), '\n')+1)); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	j := &Journal{file: f, seen: map[string]bool{}, orders: map[string]map[string]bool{}}
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if fields := strings.Fields(scanner.Text()); len(fields) == 3 {
			j.remember(fields[0], fields[1], fields[2])
		}
	}
	return j, scanner.Err()
}

func (j *Journal) remember(id, name, order string) {
	j.seen[id] = true
	if j.orders[order] == nil {
		j.orders[order] = map[string]bool{}
	}
	j.orders[order][name] = true
}

func (j *Journal) Append(e *Event) error {
	order := e.OrderID()
	if order == "" {
		order = "-"
	}
	if _, err := fmt.Fprintf(j.file, "%s %s %s\n", e.ID, e.Name, order); err != nil {
		return err
	}
	if err := j.file.Sync(); err != nil {
		return err
	}
	j.remember(e.ID, e.Name, order)
	return nil
}

// Ended tells whether an order has reached its end: completed with its invoice paid, rejected or
// canceled.
func (j *Journal) Ended(order string) bool {
	names := j.orders[order]
	return names["ordersapi.OrderCompleted"] && names["paymentsapi.InvoicePaid"] ||
		names["ordersapi.OrderRejected"] || names["ordersapi.OrderCanceled"]
}

func main() {
	protoset := flag.String("protoset", "", "the descriptor set of the public protos (docs/mallbots.protoset in the build tree)")
	journalPath := flag.String("journal", "follow-order.journal", "the journal of processed events (the subscriber's state)")
	order := flag.String("order", "", "exit once this order has ended")
	stopAfter := flag.Int("stop-after", 0, "exit after processing this many new events (of the --order, when given; 0: no limit)")
	durables := flag.String("durables", "", "STREAM:durable,... to read (default: ORDERING:<user>-orders,PAYMENTS:<user>-invoices)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("follow-order: ")

	catalog, err := LoadCatalog(*protoset)
	if err != nil {
		log.Fatal(err)
	}
	journal, err := OpenJournal(*journalPath)
	if err != nil {
		log.Fatal(err)
	}
	user := os.Getenv("NATS_USER")
	if *durables == "" {
		*durables = fmt.Sprintf("ORDERING:%s-orders,PAYMENTS:%s-invoices", user, user)
	}
	// A subscriber account may only receive replies on its own inbox prefix.
	nc, err := nats.Connect(os.Getenv("NATS_URL"), nats.UserInfo(user, os.Getenv("NATS_PASSWORD")),
		nats.CustomInboxPrefix("_INBOX_"+user), nats.Name("follow-order"))
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		log.Fatal(err)
	}
	// Bind to the durables the stream's owner provisioned: a subscriber creates none itself.
	var subs []*nats.Subscription
	for _, entry := range strings.Split(*durables, ",") {
		stream, durable, ok := strings.Cut(entry, ":")
		if !ok {
			log.Fatalf("--durables: %q is not STREAM:durable", entry)
		}
		info, err := js.ConsumerInfo(stream, durable)
		if err != nil {
			log.Fatalf("durable %s on %s: %v", durable, stream, err)
		}
		sub, err := js.PullSubscribe(info.Config.FilterSubject, durable, nats.Bind(stream, durable))
		if err != nil {
			log.Fatalf("durable %s on %s: %v", durable, stream, err)
		}
		subs = append(subs, sub)
	}

	processed := 0
	for {
		if *order != "" && journal.Ended(*order) {
			fmt.Printf("order %s ended (%d new events)\n", *order, processed)
			return
		}
		if *stopAfter > 0 && processed >= *stopAfter {
			fmt.Printf("stopping after %d new events\n", processed)
			return
		}
	durables:
		for _, sub := range subs {
			msgs, err := sub.Fetch(10, nats.MaxWait(500*time.Millisecond))
			if err != nil && !errors.Is(err, nats.ErrTimeout) {
				log.Fatalf("fetch: %v", err)
			}
			for i, m := range msgs {
				e, err := catalog.Decode(m.Data)
				if err != nil {
					// Not ours to drop: left unacknowledged, it is delivered again to the next
					// run, once someone has looked.
					log.Fatalf("message %s cannot be decoded, left unacknowledged: %v",
						m.Header.Get("Nats-Msg-Id"), err)
				}
				if !journal.seen[e.ID] {
					text := []byte("(a name this descriptor set does not know)")
					if e.Payload != nil {
						text, _ = protojson.Marshal(e.Payload)
					}
					fmt.Printf("%s %s %s\n", e.ID, e.Name, text) // the processing
					if err := journal.Append(e); err != nil {
						log.Fatalf("journal: %v", err)
					}
					if *order == "" || e.OrderID() == *order {
						processed++
					}
				}
				// Acknowledged only now that the journal has it; AckSync waits for the server.
				if err := m.AckSync(); err != nil {
					log.Fatalf("ack %s: %v", e.ID, err)
				}
				if *stopAfter > 0 && processed >= *stopAfter {
					for _, rest := range msgs[i+1:] {
						rest.Nak() // not processed: delivered again at once, to the next run
					}
					break durables
				}
			}
		}
	}
}
