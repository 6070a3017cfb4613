package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// S3 is a Store over a bucket and a key prefix (s3://bucket/prefix).
type S3 struct {
	client *s3.Client
	bucket string
	prefix string // "" or ending in "/"
}

// NewS3 returns a store rooted at url (s3://bucket or s3://bucket/prefix),
// using cfg (see providers/aws.Load) for credentials, region and endpoint.
// When an endpoint is configured (AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3:
// an emulator or a private endpoint) requests use path-style addressing.
// NewS3 makes no request: a missing bucket is reported by the first call.
func NewS3(ctx context.Context, rawURL string, cfg aws.Config) (*S3, error) {
	bucket, prefix, err := ParseS3URL(rawURL)
	if err != nil {
		return nil, err
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if cfg.BaseEndpoint != nil || (os.Getenv("AWS_ENDPOINT_URL_S3") != "" && os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") != "true") {
			o.UsePathStyle = true
		}
		// Objects written without a checksum (by other tools, by
		// emulators) would log a line per read.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	return &S3{client: client, bucket: bucket, prefix: prefix}, nil
}

// ParseS3URL splits s3://bucket/prefix into the bucket and the key prefix
// ("" or ending in "/").
func ParseS3URL(rawURL string) (bucket, prefix string, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", "", fmt.Errorf("invalid S3 URL %q: %w", rawURL, err)
	}
	if u.Scheme != "s3" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", "", fmt.Errorf("invalid S3 URL %q: want s3://bucket/prefix", rawURL)
	}
	prefix = strings.Trim(u.Path, "/")
	if prefix != "" {
		if path.Clean(prefix) != prefix {
			return "", "", fmt.Errorf("invalid S3 URL %q: prefix is not a clean path", rawURL)
		}
		prefix += "/"
	}
	return u.Host, prefix, nil
}

// Client is the S3 client the store uses.
func (s *S3) Client() *s3.Client { return s.client }

// Bucket is the store's bucket.
func (s *S3) Bucket() string { return s.bucket }

// URL implements Store.
func (s *S3) URL() string { return "s3://" + s.bucket + "/" + s.prefix }

func (s *S3) where(key string) string { return "s3://" + s.bucket + "/" + s.prefix + key }

// key maps a store key to the object key, refusing "." and ".." segments
// and empty segments so that keys mean the same as in Local. A trailing
// slash (a List prefix) is kept.
func (s *S3) key(k string, allowEmpty bool) (string, error) {
	k = strings.TrimPrefix(k, "/")
	if k == "" {
		if allowEmpty {
			return s.prefix, nil
		}
		return "", fmt.Errorf("invalid object key %q", k)
	}
	body := strings.TrimSuffix(k, "/")
	if body == "" || path.Clean(body) != body || strings.HasPrefix(body, "../") || body == ".." || body == "." {
		return "", fmt.Errorf("invalid object key %q", k)
	}
	if !allowEmpty && body != k {
		return "", fmt.Errorf("invalid object key %q", k)
	}
	return s.prefix + k, nil
}

// fail wraps err with the object's URL, turning S3's codes into clear
// messages and ErrNotExist.
func (s *S3) fail(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var nb *types.NoSuchBucket
	var ae smithy.APIError
	if errors.As(err, &nb) || (errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucket") {
		return fmt.Errorf("%s %s: bucket %q does not exist (or is not visible to these credentials): %w", op, s.where(key), s.bucket, err)
	}
	if notFound(err) {
		return fmt.Errorf("%s %s: %w", op, s.where(key), ErrNotExist)
	}
	return fmt.Errorf("%s %s: %w", op, s.where(key), err)
}

func notFound(err error) bool {
	var nk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound") {
		return true
	}
	return httpStatus(err) == http.StatusNotFound && !isBucketError(err)
}

func isBucketError(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucket"
}

func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// List implements Store.
func (s *S3) List(ctx context.Context, prefix string) ([]Object, error) {
	full, err := s.key(prefix, true)
	if err != nil {
		return nil, err
	}
	var out []Object
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(full)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.fail("list", prefix, err)
		}
		for _, o := range page.Contents {
			k := strings.TrimPrefix(aws.ToString(o.Key), s.prefix)
			if strings.HasSuffix(k, "/") || strings.Contains(path.Base(k), tmpMarker) {
				continue // folder markers made by consoles; temporary names
			}
			obj := Object{Key: k, Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag)}
			if o.LastModified != nil {
				obj.ModTime = *o.LastModified
			}
			out = append(out, obj)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Open implements Store.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	k, err := s.key(key, false)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(k)})
	if err != nil {
		return nil, s.fail("open", key, err)
	}
	return out.Body, nil
}

// Put implements Store. A single PUT is atomic on S3.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	k, err := s.key(key, false)
	if err != nil {
		return err
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(k),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
	})
	return s.fail("put", key, err)
}

// PutIfAbsent writes the object only when key has none, with an S3
// conditional write (If-None-Match: *): of concurrent writers exactly one
// gets created=true. A conflicting conditional write in flight (409) also
// answers false: another writer is claiming the key.
func (s *S3) PutIfAbsent(ctx context.Context, key string, data []byte) (created bool, err error) {
	k, err := s.key(key, false)
	if err != nil {
		return false, err
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(k),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
		IfNoneMatch: aws.String("*"),
	})
	if err == nil {
		return true, nil
	}
	if conditionFailed(err) {
		return false, nil
	}
	return false, s.fail("put-if-absent", key, err)
}

// conditionFailed: a conditional request's condition did not hold (412), or
// a conflicting conditional request was in flight (409).
func conditionFailed(err error) bool {
	var ae smithy.APIError
	st := httpStatus(err)
	return st == http.StatusPreconditionFailed || st == http.StatusConflict ||
		(errors.As(err, &ae) && (ae.ErrorCode() == "PreconditionFailed" || ae.ErrorCode() == "ConditionalRequestConflict"))
}

// GetVersion implements Versioned: the object and its ETag.
func (s *S3) GetVersion(ctx context.Context, key string) ([]byte, string, error) {
	k, err := s.key(key, false)
	if err != nil {
		return nil, "", err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(k)})
	if err != nil {
		return nil, "", s.fail("get", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, "", s.fail("get", key, err)
	}
	return b, aws.ToString(out.ETag), nil
}

// PutIfMatch implements Versioned with an S3 conditional write (If-Match).
// An object deleted meanwhile also answers false.
func (s *S3) PutIfMatch(ctx context.Context, key string, data []byte, version string) (string, bool, error) {
	k, err := s.key(key, false)
	if err != nil {
		return "", false, err
	}
	out, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(k),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
		IfMatch: aws.String(version),
	})
	if err == nil {
		return aws.ToString(out.ETag), true, nil
	}
	if conditionFailed(err) || notFound(err) {
		return "", false, nil
	}
	return "", false, s.fail("put-if-match", key, err)
}

// DeleteIfMatch implements Versioned with an S3 conditional delete
// (If-Match). An object already gone answers false.
func (s *S3) DeleteIfMatch(ctx context.Context, key, version string) (bool, error) {
	k, err := s.key(key, false)
	if err != nil {
		return false, err
	}
	_, err = s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(k), IfMatch: aws.String(version)})
	if err == nil {
		return true, nil
	}
	if conditionFailed(err) || notFound(err) {
		return false, nil
	}
	return false, s.fail("delete-if-match", key, err)
}

// Exists reports whether key has an object, without reading it.
func (s *S3) Exists(ctx context.Context, key string) (bool, error) {
	k, err := s.key(key, false)
	if err != nil {
		return false, err
	}
	_, err = s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(k)})
	if err == nil {
		return true, nil
	}
	if notFound(err) {
		return false, nil
	}
	return false, s.fail("head", key, err)
}

// PutFile uploads a local file to key without holding it in memory: in
// parts, several at once, above the transfer manager's threshold (16 MiB),
// so a large file (the spotlake binary) survives a failed part.
func (s *S3) PutFile(ctx context.Context, key, path string) error {
	k, err := s.key(key, false)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = transfermanager.New(s.client).UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(k), Body: f,
	})
	return s.fail("upload", key, err)
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	k, err := s.key(key, false)
	if err != nil {
		return err
	}
	_, err = s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(k)})
	if err != nil && notFound(err) {
		return nil
	}
	return s.fail("delete", key, err)
}
